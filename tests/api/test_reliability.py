"""Real servers under load: concurrent clients, a SIGKILL mid-write, and two replicas on one database."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from ..server import free_port, serving, start

PLACES = ["kitchen", "garden", "office", "hallway", "bathroom", "bedroom"]
THREADS, ROUNDS = 4, 12


def _all_rows(base: str, bank: str) -> list[dict]:
    rows, cursor = [], None
    while True:
        params = {"bank": bank, "limit": 500} | ({"cursor": cursor} if cursor else {})
        page = httpx.get(f"{base}/memories", params=params, timeout=30).json()
        rows += page["memories"]
        cursor = page["next_cursor"]
        if not cursor:
            return rows


@pytest.mark.slow
def test_concurrent_writers_and_askers_on_two_workers(database_url):
    acknowledged: list[list[str]] = [[] for _ in range(THREADS)]
    failures: list[str] = []

    def client(thread: int, base: str) -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            for round_ in range(ROUNDS):
                place = PLACES[(thread + round_) % len(PLACES)]
                statements = [f"Mary went to the {place}.", f"Writer {thread} wrote line {round_}."]
                shared = http.post("/memories", json={"bank": "shared", "statements": statements})
                own = http.post("/memories", json={"bank": f"own-{thread}", "statements": statements[:1]})
                asked = http.post("/ask", json={"bank": f"own-{thread}", "question": "Where is Mary?"})
                shared_ask = http.post("/ask", json={"bank": "shared", "question": "Where is Mary?"})
                for response in (shared, own, asked, shared_ask):
                    if response.status_code >= 500:
                        failures.append(f"{response.request.url}: {response.status_code} {response.text}")
                if shared.status_code == 201:
                    acknowledged[thread] += [m["text"] for m in shared.json()["memories"]]
                if asked.status_code != 200 or asked.json()["answer"] != place:
                    failures.append(f"thread {thread} round {round_}: expected {place}, got {asked.text}")

    with serving(database_url, workers=2) as base:
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(lambda t: client(t, base), range(THREADS)))
        rows = _all_rows(base, "shared")
    assert failures == []
    assert sorted(r["text"] for r in rows) == sorted(t for texts in acknowledged for t in texts)  # none lost or doubled
    assert [r["position"] for r in rows] == list(range(len(rows)))  # strictly increasing, no gaps or repeats
    for thread, texts in enumerate(acknowledged):  # each thread's writes in its order
        marker = f"Writer {thread} "
        assert [r["text"] for r in rows if r["text"].startswith(marker)] == [t for t in texts if t.startswith(marker)]
    for before, row in zip(rows, rows[1:], strict=False):  # a request's two rows stay side by side
        if row["text"].startswith("Writer"):
            assert before["text"].startswith("Mary went"), (before, row)


@pytest.mark.slow
def test_a_killed_server_keeps_every_acknowledged_write(database_url):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start(database_url, port)
    acknowledged: dict[int, str] = {}
    stop = threading.Event()

    def writer(thread: int) -> None:
        with httpx.Client(base_url=base, timeout=10) as http:
            round_ = 0
            while not stop.is_set():
                statements = [f"Mary went to the {PLACES[round_ % 6]}.", f"Crash writer {thread} line {round_}."]
                try:
                    response = http.post("/memories", json={"bank": "crash", "statements": statements})
                except httpx.TransportError:
                    return  # the server is gone: this write was never acknowledged
                if response.status_code == 201:
                    acknowledged.update({m["id"]: m["text"] for m in response.json()["memories"]})
                round_ += 1

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(2.0)
    server.kill()  # SIGKILL, mid-write
    server.wait()
    stop.set()
    for thread in threads:
        thread.join()
    assert len(acknowledged) > 10

    with serving(database_url, port) as restarted:
        rows = _all_rows(restarted, "crash")
        stored = {r["id"]: r["text"] for r in rows}
        assert all(stored.get(memory_id) == text for memory_id, text in acknowledged.items())
        assert [r["position"] for r in rows] == list(range(len(rows)))  # no half-written request
        question = {"question": "Where is Mary?", "explain": True}
        after_crash = httpx.post(f"{restarted}/ask", json={"bank": "crash", **question}).json()
        texts = [r["text"] for r in rows]
        for first in range(0, len(texts), 500):  # within MEMNN_MAX_STATEMENTS_PER_REQUEST
            added = httpx.post(
                f"{restarted}/memories", json={"bank": "fresh", "statements": texts[first : first + 500]}
            )
            assert added.status_code == 201, added.text
        fresh = httpx.post(f"{restarted}/ask", json={"bank": "fresh", **question}).json()
    assert after_crash["answer"] == fresh["answer"]
    assert after_crash["score"] == pytest.approx(fresh["score"], abs=1e-4)
    assert [e["text"] for e in after_crash["evidence"]] == [e["text"] for e in fresh["evidence"]]


@pytest.mark.slow
def test_two_replicas_on_one_postgresql_see_each_others_writes(postgres_url):
    where = {"bank": "r", "question": "Where is Mary?"}
    with serving(postgres_url) as first, serving(postgres_url) as second:
        httpx.post(f"{first}/memories", json={"bank": "r", "statements": ["Mary went to the kitchen."]})
        assert httpx.post(f"{second}/ask", json=where).json()["answer"] == "kitchen"
        httpx.post(f"{second}/memories", json={"bank": "r", "statements": ["Mary went to the garden."]})
        assert httpx.post(f"{first}/ask", json=where).json()["answer"] == "garden"
        latest = _all_rows(first, "r")[-1]
        httpx.delete(f"{second}/memories/{latest['id']}")
        assert httpx.post(f"{first}/ask", json=where).json()["answer"] == "kitchen"
