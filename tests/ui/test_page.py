"""The evidence page in headless Chromium against a real `memnn serve` process."""

from collections.abc import Iterator

import pytest
from playwright import sync_api as playwright

from app.store import keys
from app.store.database import make_engine, migrate, session_factory

from ..conftest import MILK_STORY
from ..server import serving

CHROMIUM = "/usr/bin/chromium"  # Debian's package; `playwright install` cannot download browsers here
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def page(tmp_path) -> Iterator[tuple[object, str]]:
    with serving(f"sqlite:///{tmp_path / 'page.db'}") as base, playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        tab = browser.new_page(viewport={"width": 375, "height": 900})
        tab.goto(f"{base}/")
        yield tab, base
        browser.close()


def _open_bank(tab, name: str) -> None:
    tab.get_by_test_id("bank").fill(name)
    tab.get_by_test_id("bank").dispatch_event("change")


@pytest.mark.slow
def test_the_page_shows_the_answer_and_its_evidence_hop_by_hop(page):
    tab, _ = page
    expect = playwright.expect
    _open_bank(tab, "milk")
    tab.get_by_test_id("statements").fill("\n".join(MILK_STORY))
    tab.get_by_test_id("add").click()
    expect(tab.get_by_test_id("memory")).to_have_count(len(MILK_STORY))

    tab.get_by_test_id("question").fill("Where is the milk now?")
    tab.get_by_test_id("ask").click()
    expect(tab.get_by_test_id("answer")).to_have_text("office")
    evidence = tab.get_by_test_id("evidence")
    expect(evidence).to_have_count(2)
    expect(evidence.nth(0)).to_contain_text("Joe left the milk.")
    expect(evidence.nth(1)).to_contain_text("Joe travelled to the office.")
    expect(tab.locator("#memories li.picked")).to_have_count(2)  # the chosen memories, highlighted
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # fits 375 px

    tab.get_by_test_id("memory").nth(0).get_by_role("button", name="Forget").click()
    expect(tab.get_by_test_id("memory")).to_have_count(len(MILK_STORY) - 1)
    expect(tab.get_by_test_id("error")).to_be_hidden()


@pytest.mark.slow
def test_the_page_shows_api_errors(page):
    tab, _ = page
    expect = playwright.expect
    _open_bank(tab, "empty")
    tab.get_by_test_id("statements").fill("Mary went to the garden.")
    tab.get_by_test_id("add").click()
    expect(tab.get_by_test_id("memory")).to_have_count(1)
    tab.get_by_test_id("memory").nth(0).get_by_role("button", name="Forget").click()
    expect(tab.get_by_test_id("memory")).to_have_count(0)
    tab.get_by_test_id("question").fill("Where is Mary?")
    tab.get_by_test_id("ask").click()
    expect(tab.get_by_test_id("error")).to_be_visible()
    expect(tab.get_by_test_id("error")).to_contain_text("no memories")


@pytest.mark.slow
def test_the_page_asks_for_an_api_key_when_keys_are_on(tmp_path):
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    migrate(url)
    engine = make_engine(url)
    with session_factory(engine).begin() as session:
        key = keys.create_key(session, "page", "write", ["*"])
    engine.dispose()
    expect = playwright.expect
    with serving(url, MEMNN_AUTH_DISABLED="false") as base, playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        tab = browser.new_page(viewport={"width": 375, "height": 900})
        tab.goto(f"{base}/")
        expect(tab.get_by_test_id("error")).to_contain_text("API key")  # the page said why, nothing was swallowed
        tab.get_by_label("API key").fill(key)
        _open_bank(tab, "milk")
        tab.get_by_test_id("statements").fill("Mary went to the garden.")
        tab.get_by_test_id("add").click()
        expect(tab.get_by_test_id("memory")).to_have_count(1)
        expect(tab.get_by_test_id("error")).to_be_hidden()
        browser.close()


@pytest.mark.slow
def test_the_page_works_from_the_keyboard(page):
    tab, _ = page
    expect = playwright.expect
    _open_bank(tab, "keys")
    tab.get_by_test_id("statements").focus()
    tab.keyboard.type("Mary went to the garden.")
    tab.keyboard.press("Tab")  # to the Add button
    tab.keyboard.press("Enter")
    expect(tab.get_by_test_id("memory")).to_have_count(1)
    tab.get_by_label("Question").focus()
    tab.keyboard.type("Where is Mary?")
    tab.keyboard.press("Enter")  # the question box submits its form
    expect(tab.get_by_test_id("answer")).to_have_text("garden")
