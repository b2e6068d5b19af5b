"""A real `memnn serve` process over HTTP, stopped and started again on the same database."""

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from ..conftest import MILK_STORY


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(database_url: str, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, MEMNN_DATABASE_URL=database_url, MEMNN_PORT=str(port))
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve"], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("memnn serve did not become ready in 60 s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


@pytest.mark.slow
def test_served_memories_and_answers_survive_a_restart(database_url):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start(database_url, port)
    try:
        created = httpx.post(f"{base}/memories", json={"bank": "milk", "statements": MILK_STORY})
        assert created.status_code == 201
        before = httpx.post(f"{base}/ask", json={"bank": "milk", "question": "Where is the milk now?"}).json()
        listed = httpx.get(f"{base}/memories", params={"bank": "milk"}).json()
        assert before["answer"] == "office"
    finally:
        _stop(server)
    server = _start(database_url, port)
    try:
        after = httpx.post(f"{base}/ask", json={"bank": "milk", "question": "Where is the milk now?"}).json()
        assert httpx.get(f"{base}/memories", params={"bank": "milk"}).json() == listed
        assert after == before
    finally:
        _stop(server)
