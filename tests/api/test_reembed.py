"""Another checkpoint means re-embedding: an answer never mixes model versions, and no row is lost."""

import copy

import pytest
import torch
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.main import create_app
from app.memnn.checkpoint import Checkpoint
from app.memnn.serving.encode import stored_words
from app.memnn.text import tokenize
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


def _word_columns(database_url: str) -> dict[str, tuple[bytes | None, str | None]]:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(select(Memory.text, Memory.word_ids, Memory.unseen_words)).all()
    engine.dispose()
    return {text: (word_ids, unseen) for text, word_ids, unseen in rows}


def _ranked(body: dict) -> tuple[list[object], list[float]]:
    """What an answer weighed, in its order (words, memories, hops), and those things' scores."""
    ranked: list[tuple[object, float]] = [(a["answer"], a["score"]) for a in body["alternatives"]]
    ranked += [((e["id"], e["hop"]), e["score"]) for e in body["evidence"]]
    for hop in body["hops"]:
        ranked += [((hop["hop"], c["id"]), c["score"]) for c in hop["candidates"]]
        ranked.append(((hop["hop"], "STOP"), hop["stop_score"]))
    return [what for what, _ in ranked], [score for _, score in ranked]


def _forget_word_ids(database_url: str) -> None:
    """As rows written before the columns existed are."""
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(update(Memory).values(word_ids=None, unseen_words=None))
    engine.dispose()


def test_rows_stored_without_word_ids_answer_the_same_and_get_them_at_the_next_load(settings, shipped_checkpoint):
    story = [*MILK_STORY, "Zanele went to the garden.", "Zanele picked up the quokka."]
    question = {"bank": "milk", "question": "Where is Zanele?", "explain": True}
    first_app = create_app(settings, shipped_checkpoint)
    with TestClient(first_app) as client:
        client.post("/memories", json={"bank": "milk", "statements": story})
        before = client.post("/ask", json=question).json()
    first_app.state.engine.dispose()
    stored = _word_columns(settings.database_url)
    assert stored["Zanele picked up the quokka."][1] == "zanele quokka"
    assert stored["Fred went to the kitchen."][1] is None  # every word in the vocabulary

    _forget_word_ids(settings.database_url)
    second_app = create_app(settings, shipped_checkpoint)
    with TestClient(second_app) as client:
        after = client.post("/ask", json=question).json()
        assert _word_columns(settings.database_url) == stored  # and by `memnn reembed` the same way
        _forget_word_ids(settings.database_url)
        assert second_app.state.service.reembed_all() == len(story)  # `memnn reembed` fills them in too
    second_app.state.engine.dispose()
    assert after["answer"] == before["answer"]
    assert after["score"] == pytest.approx(before["score"], abs=1e-4)
    (weighed, scores), (weighed_before, scores_before) = _ranked(after), _ranked(before)
    assert weighed == weighed_before and scores == pytest.approx(scores_before, abs=1e-4)
    assert _word_columns(settings.database_url) == stored  # and by `memnn reembed` the same way


def test_every_write_stores_the_word_ids_of_the_text_it_leaves(settings, shipped_checkpoint):
    app = create_app(settings, shipped_checkpoint)
    with TestClient(app) as client:
        added = client.post("/memories", json={"bank": "b", "statements": ["Zanele went home.", "Mary left."]}).json()
        first = added["memories"][0]["id"]
        client.patch(f"/memories/{first}", json={"text": "Mary gave the quokka to Zanele."})
        exported = client.get("/banks/b/export").text
        imported = client.post("/banks/c/import", content=exported, headers={"content-type": "application/x-ndjson"})
        assert imported.status_code == 201
    app.state.engine.dispose()
    engine = make_engine(settings.database_url)
    with engine.connect() as connection:
        rows = connection.execute(select(Memory.text, Memory.word_ids, Memory.unseen_words)).all()
    engine.dispose()
    assert sorted(text for text, _, _ in rows) == ["Mary gave the quokka to Zanele."] * 2 + ["Mary left."] * 2
    for text, word_ids, unseen in rows:
        assert (word_ids, unseen) == stored_words(shipped_checkpoint.vocabulary, tokenize(text))
    assert {unseen for text, _, unseen in rows if text.endswith("Zanele.")} == {"quokka zanele"}  # b's, c's
