"""API keys: 401 without one, 403 outside its scope, and no key ever sees another bank's memories."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.main import create_app
from app.store import keys
from app.store.database import make_engine, migrate, session_factory
from app.store.tables import ApiKey

from ..conftest import MILK_STORY


@pytest.fixture
def secured(settings, shipped_checkpoint):
    settings = settings.model_copy(update={"auth_disabled": False})
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        issued = {
            "writer": keys.create_key(session, "writer", "write", ["b1"]),
            "reader": keys.create_key(session, "reader", "read", ["b1"]),
            "other": keys.create_key(session, "other", "write", ["b2"]),
            "admin": keys.create_key(session, "admin", "write", ["*"]),
        }
    app = create_app(settings, shipped_checkpoint)
    with TestClient(app) as client:
        yield client, issued, sessions
    app.state.engine.dispose()
    engine.dispose()


def _as(key):
    return {"Authorization": f"Bearer {key}"}


def test_requests_need_a_valid_key(secured):
    client, issued, _ = secured
    assert client.get("/memories", params={"bank": "b1"}).status_code == 401
    response = client.post("/ask", json={"bank": "b1", "question": "Where?"}, headers=_as("mk_wrong"))
    assert response.status_code == 401 and "API key" in response.json()["detail"]
    assert response.headers["www-authenticate"] == "Bearer"
    for open_path in ("/healthz", "/readyz", "/docs", "/openapi.json", "/"):
        assert client.get(open_path).status_code == 200, open_path
    assert client.get("/model").status_code == 401
    info = client.get("/model", headers=_as(issued["reader"])).json()
    assert info["test_accuracy"]["data"] == "en" and info["training"]["data"] == "en"  # no server path


def test_scopes_and_banks_are_enforced(secured):
    client, issued, _ = secured
    written = client.post("/memories", json={"bank": "b1", "statements": MILK_STORY}, headers=_as(issued["writer"]))
    assert written.status_code == 201
    row = written.json()["memories"][0]
    denied = client.post("/memories", json={"bank": "b1", "statements": ["x went home"]}, headers=_as(issued["reader"]))
    assert denied.status_code == 403 and "write" in denied.json()["detail"]
    assert client.delete(f"/memories/{row['id']}", headers=_as(issued["reader"])).status_code == 403
    assert client.delete("/banks/b1", headers=_as(issued["reader"])).status_code == 403
    question = {"bank": "b1", "question": "Where is the milk now?"}
    asked = client.post("/ask", json=question, headers=_as(issued["reader"]))
    assert asked.status_code == 200 and asked.json()["answer"] == "office"
    assert client.get("/memories", params={"bank": "b1"}, headers=_as(issued["reader"])).json()["total"] == 6


def test_no_key_sees_another_banks_memories(secured):
    client, issued, _ = secured
    row = client.post(
        "/memories", json={"bank": "b1", "statements": ["Secret went to the vault."]}, headers=_as(issued["writer"])
    ).json()["memories"][0]
    client.post("/memories", json={"bank": "b2", "statements": ["Mary went home."]}, headers=_as(issued["other"]))
    other = _as(issued["other"])
    assert client.get("/memories", params={"bank": "b1"}, headers=other).status_code == 403
    assert client.post("/ask", json={"bank": "b1", "question": "Where is Secret?"}, headers=other).status_code == 403
    hidden = client.get(f"/memories/{row['id']}", headers=other)
    assert hidden.status_code == 404 and "Secret" not in hidden.text
    assert client.delete(f"/memories/{row['id']}", headers=other).status_code == 404
    assert [b["name"] for b in client.get("/banks", headers=other).json()["banks"]] == ["b2"]
    body = client.post("/ask", json={"bank": "b2", "question": "Where is Secret?"}, headers=other).json()
    assert "Secret" not in str(body)
    assert [b["name"] for b in client.get("/banks", headers=_as(issued["admin"])).json()["banks"]] == ["b1", "b2"]


def test_keys_are_stored_hashed_and_can_be_revoked(secured):
    client, issued, sessions = secured
    with sessions() as session:
        stored = set(session.execute(select(ApiKey.key_hash)).scalars())
        writer_id = next(k.id for k in keys.list_keys(session) if k.name == "writer")
    assert not stored & set(issued.values())
    assert keys.hash_key(issued["writer"]) in stored
    with sessions.begin() as session:
        assert keys.revoke_key(session, writer_id)
    response = client.get("/memories", params={"bank": "b1"}, headers=_as(issued["writer"]))
    assert response.status_code == 401
