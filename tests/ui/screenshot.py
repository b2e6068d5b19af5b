"""Regenerate the README's screenshot: python -m tests.ui.screenshot docs/evidence-page.png"""

import sys
import tempfile
from pathlib import Path

from playwright import sync_api as playwright

from ..conftest import MILK_STORY
from ..server import serving
from .test_page import CHROMIUM, CHROMIUM_FLAGS


def main(out: Path) -> None:
    with (
        tempfile.TemporaryDirectory() as folder,
        serving(f"sqlite:///{folder}/shot.db") as base,
        playwright.sync_playwright() as driver,
    ):
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        tab = browser.new_page(viewport={"width": 900, "height": 1000})
        tab.goto(f"{base}/")
        tab.get_by_test_id("bank").fill("milk")
        tab.get_by_test_id("bank").dispatch_event("change")
        tab.get_by_test_id("statements").fill("\n".join(MILK_STORY))
        tab.get_by_test_id("add").click()
        tab.get_by_test_id("memory").nth(len(MILK_STORY) - 1).wait_for()
        tab.get_by_test_id("question").fill("Where is the milk now?")
        tab.get_by_test_id("ask").click()
        tab.get_by_test_id("evidence").nth(0).wait_for()
        tab.screenshot(path=str(out), full_page=True)
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
