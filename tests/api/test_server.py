"""A real `memnn serve` process over HTTP, stopped and started again on the same database."""

import httpx
import pytest

from ..conftest import MILK_STORY
from ..server import free_port, serving


@pytest.mark.slow
def test_served_memories_and_answers_survive_a_restart(database_url):
    port = free_port()
    question = {"bank": "milk", "question": "Where is the milk now?"}
    with serving(database_url, port) as base:
        created = httpx.post(f"{base}/memories", json={"bank": "milk", "statements": MILK_STORY})
        assert created.status_code == 201
        before = httpx.post(f"{base}/ask", json=question).json()
        listed = httpx.get(f"{base}/memories", params={"bank": "milk"}).json()
        assert before["answer"] == "office"
    with serving(database_url, port) as base:
        assert httpx.get(f"{base}/memories", params={"bank": "milk"}).json() == listed
        assert httpx.post(f"{base}/ask", json=question).json() == before
