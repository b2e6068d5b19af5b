"""The process's memory settings: the collector pause, and numpy's huge pages off in the server."""

import gc
import os
import subprocess
import sys
import threading

from fastapi.testclient import TestClient

from app.main import create_app
from app.process_memory import collector_paused


def test_the_collector_stays_off_until_the_last_pause_ends() -> None:
    assert gc.isenabled()
    outer_entered, inner_done = threading.Event(), threading.Event()

    def other_load() -> None:
        with collector_paused():
            outer_entered.set()
            inner_done.wait(5)

    other = threading.Thread(target=other_load)
    other.start()
    outer_entered.wait(5)
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread's load is still going
    inner_done.set()
    other.join()
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_server_process_asks_numpy_for_no_huge_pages() -> None:
    check = (
        "from app.process_memory import tune_memory; tune_memory(); import numpy; "
        "print(numpy._core.multiarray._get_madvise_hugepage())"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    found = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True, env=env)
    assert found.stdout.strip() == "False"


def test_a_started_server_leaves_its_startup_objects_out_of_garbage_collection(settings, shipped_checkpoint) -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    app = create_app(settings, shipped_checkpoint)
    with TestClient(app):
        assert gc.get_freeze_count() > 100_000  # the model, the libraries, the app
    app.state.engine.dispose()
