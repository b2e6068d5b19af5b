"""A saved bank matrix answers exactly like one rebuilt from the rows, and only for its own state."""

from pathlib import Path

from app.memnn.checkpoint import Checkpoint
from app.memnn.serving.encode import BankEncoder
from app.service import MemoryService
from app.store import snapshot
from app.store.database import make_engine, migrate, session_factory
from app.store.filters import MemoryFilter
from app.store.repository import NO_FILTER

STORY = [
    "Zanele went to the conservatory.",
    "Mary picked up the milk.",
    "Mary went to the office.",
    "Zanele travelled to the garden.",
]


def _service(url: str, checkpoint: Checkpoint, folder: Path) -> MemoryService:
    return MemoryService(checkpoint, session_factory(make_engine(url)), snapshots=folder, snapshot_min_rows=1)


def _answer(service: MemoryService, question: str, where: MemoryFilter = NO_FILTER) -> tuple[str, list[int]]:
    found = service.ask("b", question, None, explain_top=3, where=where)
    return found.answer, [e.memory.id for e in found.evidence]


def test_a_snapshot_answers_like_the_rows(database_url: str, shipped_checkpoint: Checkpoint, tmp_path: Path) -> None:
    migrate(database_url)
    first = _service(database_url, shipped_checkpoint, tmp_path)
    first.add("b", STORY[:2], {"kind": "move"})
    first.add("b", STORY[2:])
    expected = [_answer(first, "Where is Zanele?"), _answer(first, "Where is the milk?")]
    expected_filtered = _answer(first, "Where is Zanele?", MemoryFilter(metadata={"kind": "move"}))
    assert first.save_snapshots() == ["b"]

    second = _service(database_url, shipped_checkpoint, tmp_path)
    loaded = second._rebuild("b")
    assert loaded.size == 4 and loaded.encoder.unseen_words() == first.cache.get("b").encoder.unseen_words()
    assert [_answer(second, "Where is Zanele?"), _answer(second, "Where is the milk?")] == expected
    assert _answer(second, "Where is Zanele?", MemoryFilter(metadata={"kind": "move"})) == expected_filtered
    second.add("b", ["Zanele went to the hallway."])  # appends to the loaded matrix
    assert _answer(second, "Where is Zanele?")[0] == "hallway"


def test_a_snapshot_of_another_state_is_ignored(
    database_url: str, shipped_checkpoint: Checkpoint, tmp_path: Path
) -> None:
    migrate(database_url)
    first = _service(database_url, shipped_checkpoint, tmp_path)
    first.add("b", STORY)
    first.ask("b", "Where is Zanele?", None)
    first.save_snapshots()
    first.add("b", ["Zanele went to the hallway."])  # the bank moves on after the snapshot
    second = _service(database_url, shipped_checkpoint, tmp_path)
    encoder = BankEncoder(shipped_checkpoint.vocabulary)
    assert snapshot.load(tmp_path, "b", 1, 2, second.model_version, encoder, 12) is None  # the bank is at 2
    assert snapshot.load(tmp_path, "b", 1, 1, "another model", encoder, 12) is None
    assert snapshot.load(tmp_path, "b", 1, 1, second.model_version, encoder, 12) is not None  # its own state
    assert second._rebuild("b").size == 5
    assert _answer(second, "Where is Zanele?")[0] == "hallway"
    (tmp_path / snapshot.path_for(tmp_path, "b").name).write_bytes(b"not a snapshot")
    assert _service(database_url, shipped_checkpoint, tmp_path)._rebuild("b").size == 5  # unreadable: rebuilt
