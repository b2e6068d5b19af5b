"""Export a bank as JSON Lines and import it elsewhere: SQLite -> PostgreSQL -> SQLite, nothing lost."""

import json

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

from ..conftest import MILK_STORY


@pytest.fixture
def laptop_and_server(tmp_path, postgres_url, shipped_checkpoint):
    apps = [
        create_app(Settings(database_url=url, auth_disabled=True), shipped_checkpoint)
        for url in (f"sqlite:///{tmp_path / 'laptop.db'}", postgres_url)
    ]
    with TestClient(apps[0]) as laptop, TestClient(apps[1]) as server:
        yield laptop, server
    for app in apps:
        app.state.engine.dispose()


def _export(client, bank):
    response = client.get(f"/banks/{bank}/export")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


def _import(client, bank, lines):
    body = "\n".join(json.dumps(line) for line in lines) + "\n"
    return client.post(f"/banks/{bank}/import", content=body, headers={"content-type": "application/x-ndjson"})


def test_a_bank_moves_between_sqlite_and_postgresql_and_back(laptop_and_server):
    laptop, server = laptop_and_server
    rows = laptop.post("/memories", json={"bank": "milk", "statements": MILK_STORY, "metadata": {"s": "é 🥛"}}).json()
    ids = [m["id"] for m in rows["memories"]]
    laptop.patch(f"/memories/{ids[4]}", json={"text": "Joe left the milk there.", "metadata": {"s": "fixed"}})
    laptop.delete(f"/memories/{ids[1]}")  # a gap in the positions must survive the trip
    exported = _export(laptop, "milk")
    assert [line["position"] for line in exported] == [0, 2, 3, 4, 5]
    assert exported[3]["version"] == 2 and exported[3]["history"][0]["text"] == "Joe left the milk."

    assert _import(server, "milk", exported).json() == {"bank": "milk", "imported": 5}
    assert _export(server, "milk") == exported
    assert _import(laptop, "back", _export(server, "milk")).status_code == 201
    assert _export(laptop, "back") == exported

    question = {"question": "Where is the milk?"}
    answers = [c.post("/ask", json={"bank": b, **question}).json() for c, b in ((laptop, "milk"), (server, "milk"))]
    assert answers[0]["answer"] == answers[1]["answer"]
    assert [e["text"] for e in answers[0]["evidence"]] == [e["text"] for e in answers[1]["evidence"]]
    added = server.post("/memories", json={"bank": "milk", "statements": ["Joe went home."]}).json()
    assert added["memories"][0]["position"] == 6  # the next write follows the imported positions


def test_bad_imports_change_nothing(laptop_and_server):
    laptop, _ = laptop_and_server
    laptop.post("/memories", json={"bank": "full", "statements": ["Mary went home."]})
    line = {"position": 0, "text": "Mary went out.", "created_at": "2026-11-25T10:00:00Z"}
    refused = _import(laptop, "full", [line])
    assert refused.status_code == 409 and "already holds 1" in refused.json()["detail"]
    for lines, field in [
        ([line, {"position": 1, "text": "x"}], "line 2"),
        ([line, line], "line 2: position"),
        ([{**line, "text": "bad\u0000"}], "line 1: text"),
        ([{**line, "version": 2}], "line 1: history"),
        ([{**line, "surprise": 1}], "line 1"),
    ]:
        response = _import(laptop, "fresh", lines)
        assert response.status_code == 422 and field in response.json()["detail"], (lines, response.text)
    assert laptop.post("/banks/fresh/import", content=b"\xff\xfe").status_code == 422
    assert laptop.post("/banks/fresh/import", content=b"\n\n").status_code == 422
    assert [b["name"] for b in laptop.get("/banks").json()["banks"]] == ["full"]
    assert laptop.get("/banks/nope/export").status_code == 404
