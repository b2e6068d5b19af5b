"""Idempotency-Key: the database's own conflict rule decides which of concurrent retries writes, on
SQLite and PostgreSQL alike; keys belong to the API key that sent them and expire; a replay never
names memories that are gone."""

import threading
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.main import create_app
from app.store import keys
from app.store.database import make_engine, migrate, session_factory
from app.store.tables import IdempotencyKey, utc_now

from ..server import serving

STORY = {"bank": "idem", "statements": ["Joe went home.", "Joe went out."]}


def _post(client, body, key, **headers):
    return client.post("/memories", json=body, headers={"Idempotency-Key": key} | headers)


def _total(client, bank="idem"):
    return client.get("/memories", params={"bank": bank}).json()["total"]


def _at_once(count, call):
    """``call(i)`` from ``count`` threads released together; their results in order."""
    barrier, results = threading.Barrier(count), [None] * count

    def run(i):
        barrier.wait()
        results[i] = call(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.slow
def test_concurrent_retries_write_once_and_answer_alike(database_url):
    with serving(database_url) as base:
        same = _at_once(8, lambda _: httpx.post(f"{base}/memories", json=STORY, headers={"Idempotency-Key": "k1"}))
        assert [r.status_code for r in same] == [201] * 8
        assert len({r.text for r in same}) == 1  # one response, replayed to all
        bodies = [STORY | {"statements": [f"Joe went to room {i}."]} for i in range(6)]
        other = _at_once(6, lambda i: httpx.post(f"{base}/memories", json=bodies[i], headers={"Idempotency-Key": "k2"}))
        assert sorted(r.status_code for r in other) == [201] + [409] * 5
        assert all("different request body" in r.json()["detail"] for r in other if r.status_code == 409)
        listed = httpx.get(f"{base}/memories", params={"bank": "idem"}).json()
    assert listed["total"] == 3  # two rows for k1, one for k2: no duplicate


def test_a_key_belongs_to_the_api_key_that_sent_it(settings, shipped_checkpoint):
    settings = settings.model_copy(update={"auth_disabled": False})
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    with session_factory(engine).begin() as session:
        first = keys.create_key(session, "first", "write", ["*"])
        second = keys.create_key(session, "second", "write", ["*"])
    app = create_app(settings, shipped_checkpoint)
    with TestClient(app) as client:
        mine = _post(client, STORY, "shared-1", Authorization=f"Bearer {first}")
        theirs = _post(client, STORY | {"bank": "other"}, "shared-1", Authorization=f"Bearer {second}")
        again = _post(client, STORY | {"bank": "other"}, "shared-1", Authorization=f"Bearer {second}")
        assert (mine.status_code, theirs.status_code, again.status_code) == (201, 201, 201)
        assert again.json() == theirs.json() and theirs.json() != mine.json()
        listed = client.get("/memories", params={"bank": "other"}, headers={"Authorization": f"Bearer {second}"})
        assert listed.json()["total"] == 2
    app.state.engine.dispose()
    engine.dispose()


def test_a_key_expires_after_the_window(client, settings):
    first = _post(client, STORY, "k-old")
    engine = make_engine(settings.database_url)
    with session_factory(engine).begin() as session:  # the key was sent a day and an hour ago
        session.execute(update(IdempotencyKey).values(created_at=utc_now() - timedelta(hours=25)))
    engine.dispose()
    later = _post(client, STORY, "k-old")
    assert later.status_code == 201 and later.json() != first.json()
    assert _total(client) == 4
    assert _post(client, STORY, "k-old").json() == later.json()  # the new write is remembered in turn


def test_a_replay_never_names_memories_that_are_gone(client):
    first = _post(client, STORY, "k-gone").json()
    client.delete(f"/memories/{first['memories'][0]['id']}")
    gone = _post(client, STORY, "k-gone")
    assert gone.status_code == 409 and "deleted since" in gone.json()["detail"]
    second = _post(client, STORY | {"bank": "b2"}, "k-bank")
    client.delete("/banks/b2")
    after_bank = _post(client, STORY | {"bank": "b2"}, "k-bank")
    assert second.status_code == 201 and after_bank.status_code == 409
    assert _post(client, STORY | {"bank": "b2"}, "k-new").status_code == 201


def test_idempotency_key_makes_retries_safe(client):
    first = _post(client, {"bank": "b1", "statements": ["Mary went home."]}, "k-1")
    again = _post(client, {"bank": "b1", "statements": ["Mary went home."]}, "k-1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert client.get("/memories", params={"bank": "b1"}).json()["total"] == 1
    other = _post(client, {"bank": "b1", "statements": ["Mary went out."]}, "k-1")
    assert other.status_code == 409 and "Idempotency-Key" in other.json()["detail"]
    plain = [
        client.post("/memories", json={"bank": "b1", "statements": ["Mary went home."]}) for _ in range(2)
    ]  # without a key, a repeat is a new event
    assert [p.status_code for p in plain] == [201, 201]
    assert client.get("/memories", params={"bank": "b1"}).json()["total"] == 3
