"""Another checkpoint means re-embedding: an answer never mixes model versions, and no row is lost."""

import copy

import pytest
import torch
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.main import create_app
from app.memnn.checkpoint import Checkpoint
from app.store.database import make_engine
from app.store.tables import Memory

from ..conftest import MILK_STORY


def _versions(database_url: str) -> set[str]:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        versions = set(connection.execute(select(Memory.model_version)).scalars())
    engine.dispose()
    return versions


def _other_model(shipped: Checkpoint) -> Checkpoint:
    model = copy.deepcopy(shipped.model)
    with torch.no_grad():
        model.encode_candidate.mix.bias.add_(0.01)
    return Checkpoint(model, shipped.vocabulary, "perturbed", {})


def test_rows_of_an_older_version_are_reembedded_on_first_use(settings, shipped_checkpoint):
    old_app = create_app(settings, shipped_checkpoint)
    with TestClient(old_app) as client:
        client.post("/memories", json={"bank": "milk", "statements": MILK_STORY})
        client.post("/memories", json={"bank": "other", "statements": ["Mary went home."]})
    old_app.state.engine.dispose()
    assert _versions(settings.database_url) == {shipped_checkpoint.version}

    newer = _other_model(shipped_checkpoint)
    assert newer.version != shipped_checkpoint.version
    new_app = create_app(settings, newer)
    with TestClient(new_app) as client:
        question = {"question": "Where is the milk now?"}
        body = client.post("/ask", json={"bank": "milk", **question}).json()
        client.post("/memories", json={"bank": "fresh", "statements": MILK_STORY})
        fresh = client.post("/ask", json={"bank": "fresh", **question}).json()
        assert body["model"]["version"] == newer.version
        assert body["answer"] == fresh["answer"] and body["score"] == pytest.approx(fresh["score"], abs=1e-5)
        assert [e["text"] for e in body["evidence"]] == [e["text"] for e in fresh["evidence"]]
        assert _versions(settings.database_url) == {shipped_checkpoint.version, newer.version}  # "other" is lazy
        touched = new_app.state.service.reembed_all()
        assert touched == 1  # the one row of "other"; "milk" was re-embedded when asked
        assert _versions(settings.database_url) == {newer.version}
        assert client.get("/memories", params={"bank": "milk"}).json()["total"] == len(MILK_STORY)
    new_app.state.engine.dispose()
