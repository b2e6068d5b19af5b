"""Start and stop a real `memnn serve` process, for benchmarks and for tests that speak HTTP over a socket;
or run the app in this process (``in_process``), for the benchmarks that ask it through its API."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from app.settings import Settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(database_url: str, port: int, workers: int = 1, **settings: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, MEMNN_DATABASE_URL=database_url, MEMNN_PORT=str(port))
    env |= {"MEMNN_AUTH_DISABLED": "true"} | settings
    command = [sys.executable, "-m", "app.cli", "serve", "--workers", str(workers)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("memnn serve did not become ready in 60 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


@contextmanager
def serving(database_url: str, port: int | None = None, workers: int = 1, **settings: str) -> Iterator[str]:
    """A running server; yields its base URL."""
    port = port or free_port()
    process = start(database_url, port, workers, **settings)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@contextmanager
def in_process(settings: Settings, name: str) -> Iterator[TestClient]:
    """The app in this process with ``settings``, on a fresh SQLite file (``name``.db in a temporary
    folder) and with keys off; yields a client of it."""
    from fastapi.testclient import TestClient

    from app.main import create_app

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            settings.model_copy(update={"database_url": f"sqlite:///{folder}/{name}.db", "auth_disabled": True})
        )
        try:
            with TestClient(app) as client:
                yield client
        finally:
            app.state.engine.dispose()
