"""The bounded cache of bank matrices, through the real service on SQLite and PostgreSQL: the budget
holds, scratch goes before any matrix, the least recently asked bank goes first, and an evicted bank
comes back from the database answering exactly as before, with every write made meanwhile."""

from __future__ import annotations

import logging
import threading
import uuid

import pytest

from app.memnn.checkpoint import Checkpoint
from app.service import AskResult, MemoryService
from app.store.database import make_engine, migrate, session_factory
from app.store.filters import MemoryFilter

from ..conftest import MILK_STORY

QUESTIONS = ["Where is the milk now?", "Where is Joe?", "Where is Fred?"]


def _service(url: str, checkpoint: Checkpoint, cache_bytes: int | None) -> MemoryService:
    return MemoryService(checkpoint, session_factory(make_engine(url)), cache_bytes=cache_bytes)


def _everything(result: AskResult) -> list[object]:
    """All an answer says, scores exact: the answer, its alternatives, the evidence and each hop's candidates."""
    evidence = [(e.memory.id, e.memory.text, e.hop, e.score) for e in result.evidence]
    considered = [(h.hop, [(c.id, c.score) for c in h.candidates], h.stop_score) for h in result.considered]
    return [result.answer, result.score, result.alternatives, evidence, considered]


def _bank_bytes(url: str, checkpoint: Checkpoint, write: bool = False) -> tuple[int, int]:
    """What one milk bank holds after a question (every bank below is the same story), and how much of
    that is scratch; ``write``: with one more statement written to it after it was built."""
    service, bank = _service(url, checkpoint, None), f"measured-{uuid.uuid4().hex}"
    service.add(bank, MILK_STORY)
    service.ask(bank, QUESTIONS[0], None)
    if write:
        service.add(bank, ["Fred went to the garden."])
    service.ask(bank, QUESTIONS[0], None)
    matrix = service.cache.get(bank)
    assert matrix is not None
    with_scratch = matrix.nbytes()
    matrix.shed_scratch()
    return matrix.nbytes(), with_scratch - matrix.nbytes()


def _milk_banks(service: MemoryService, names: list[str]) -> None:
    for name in names:
        service.add(name, MILK_STORY)


def test_the_budget_holds_after_questions_in_many_banks(database_url: str, shipped_checkpoint: Checkpoint) -> None:
    migrate(database_url)
    budget = 4 * _bank_bytes(database_url, shipped_checkpoint)[0]
    service = _service(database_url, shipped_checkpoint, budget)
    banks = [f"tenant-{i}" for i in range(12)]
    _milk_banks(service, banks)
    for question in QUESTIONS:
        for bank in banks:
            assert service.ask(bank, question, None).answer
            use = service.cache.use()
            assert use.nbytes <= budget and use.banks <= 4
    use = service.cache.use()
    held = service.cache.items()
    assert use.banks == len(held) >= 3 and use.nbytes == sum(matrix.nbytes() for _, matrix in held)
    assert use.evictions == len(QUESTIONS) * len(banks) - use.banks  # every question but the last few rebuilt


def test_scratch_goes_before_any_matrix(database_url: str, shipped_checkpoint: Checkpoint) -> None:
    migrate(database_url)
    matrix, scratch = _bank_bytes(database_url, shipped_checkpoint)
    service = _service(database_url, shipped_checkpoint, 3 * matrix + scratch + scratch // 2)
    _milk_banks(service, ["a", "b", "c"])
    for bank in ["a", "b", "c"]:
        service.ask(bank, QUESTIONS[0], None)
    use = service.cache.use()
    assert (use.banks, use.evictions) == (3, 0) and use.nbytes <= 3 * matrix + scratch + scratch // 2
    held = dict(service.cache.items())
    assert [len(held[bank].scratch.fact_matches) > 0 for bank in ["a", "b", "c"]] == [False, False, True]
    assert service.ask("a", QUESTIONS[0], None).answer == "office"  # its slot matches made again


def test_the_least_recently_asked_bank_goes_first(database_url: str, shipped_checkpoint: Checkpoint) -> None:
    migrate(database_url)
    one, _ = _bank_bytes(database_url, shipped_checkpoint)
    written, _ = _bank_bytes(database_url, shipped_checkpoint, write=True)
    service = _service(database_url, shipped_checkpoint, written + 2 * one + one // 2)  # one written bank, two more
    _milk_banks(service, ["a", "b", "c", "d"])
    for bank in ["a", "b", "c", "a"]:  # a asked again: b is now the least recently asked
        service.ask(bank, QUESTIONS[0], None)
    service.add("b", ["Fred went to the garden."])  # a write is no question: b stays the least recently asked
    assert [bank for bank, _ in service.cache.items()] == ["b", "c", "a"]
    service.ask("d", QUESTIONS[0], None)
    assert [bank for bank, _ in service.cache.items()] == ["c", "a", "d"]
    assert service.cache.use().evictions == 1


def test_an_evicted_bank_answers_exactly_as_before(database_url: str, shipped_checkpoint: Checkpoint) -> None:
    migrate(database_url)
    one, _ = _bank_bytes(database_url, shipped_checkpoint, write=True)
    service = _service(database_url, shipped_checkpoint, 2 * one)  # more than the story alone, not three banks
    service.add("story", ["Zanele went to the conservatory.", *MILK_STORY[:3]], {"kind": "first"})
    # a question about a word no memory holds yet, then memories that hold it after another unseen word
    service.ask("story", "Where is Quillon?", None)
    service.add("story", MILK_STORY[3:] + ["Brannoch and Quillon and Zeffa travelled to the drawbridge."])
    words = service.cache.get("story").encoder.unseen_words()
    asked = [
        (question, max_hops, where)
        for question in [*QUESTIONS, "Where is Quillon?", "Who travelled to the drawbridge?"]
        for max_hops, where in [(None, MemoryFilter()), (2, MemoryFilter()), (None, MemoryFilter({"kind": "first"}))]
    ]
    before = [_everything(service.ask("story", q, k, explain_top=5, where=w)) for q, k, w in asked]
    held = service.cache.get("story")

    _milk_banks(service, ["other-1", "other-2", "other-3"])
    for bank in ["other-1", "other-2", "other-3"]:
        service.ask(bank, QUESTIONS[0], None)
    assert "story" not in dict(service.cache.items())

    after = [_everything(service.ask("story", q, k, explain_top=5, where=w)) for q, k, w in asked]
    rebuilt = service.cache.get("story")
    assert rebuilt is not None and rebuilt is not held
    assert after == before
    assert rebuilt.encoder.unseen_words() == words  # the questions' words were never the bank's


def test_writes_to_an_evicted_bank_are_seen(database_url: str, shipped_checkpoint: Checkpoint) -> None:
    migrate(database_url)
    service = _service(database_url, shipped_checkpoint, 2 * _bank_bytes(database_url, shipped_checkpoint)[0])
    _milk_banks(service, ["story", "other-1", "other-2"])
    assert service.ask("story", "Where is Fred?", None).answer == "kitchen"
    for bank in ["other-1", "other-2"]:
        service.ask(bank, QUESTIONS[0], None)
    assert "story" not in dict(service.cache.items())
    written = service.add("story", ["Fred went to the garden."])
    found = service.ask("story", "Where is Fred?", None)
    assert found.answer == "garden" and found.evidence[0].memory.id == written[0].id

    service.add("story", ["Fred travelled to the hallway."])  # the bank is held again: appended to its matrix
    assert service.ask("story", "Where is Fred?", None).answer == "hallway"


def test_a_bank_larger_than_the_budget_answers_and_is_not_kept(
    database_url: str, shipped_checkpoint: Checkpoint, caplog: pytest.LogCaptureFixture
) -> None:
    migrate(database_url)
    caplog.set_level(logging.WARNING, logger="memnn")
    service = _service(database_url, shipped_checkpoint, _bank_bytes(database_url, shipped_checkpoint)[0] // 2)
    _milk_banks(service, ["story"])
    for _ in range(2):
        assert service.ask("story", QUESTIONS[0], None).answer == "office"
    use = service.cache.use()
    assert (use.banks, use.nbytes, use.evictions) == (0, 0, 0)  # never held, so never evicted
    (warning,) = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert "bank 'story' needs" in warning and "raise MEMNN_CACHE_MB" in warning  # once, not at every question


def test_questions_answer_while_their_matrices_are_evicted(database_url: str, shipped_checkpoint: Checkpoint) -> None:
    """Threads ask across more banks than the cache holds: a matrix evicted while a question reads it
    answers that question, and every answer is the one an unbounded cache gives."""
    migrate(database_url)
    unbounded = _service(database_url, shipped_checkpoint, None)
    banks = [f"tenant-{i}" for i in range(6)]
    for i, bank in enumerate(banks):
        unbounded.add(bank, MILK_STORY[: 3 + i % 4])
    expected = {(bank, q): _everything(unbounded.ask(bank, q, None)) for bank in banks for q in QUESTIONS}
    budget = 2 * _bank_bytes(database_url, shipped_checkpoint)[0]
    service = _service(database_url, shipped_checkpoint, budget)
    barrier, wrong, failed = threading.Barrier(4), [], []

    def ask(offset: int) -> None:
        barrier.wait()
        try:
            for turn in range(24):
                bank, question = banks[(turn + offset) % len(banks)], QUESTIONS[turn % len(QUESTIONS)]
                if _everything(service.ask(bank, question, None)) != expected[(bank, question)]:
                    wrong.append((bank, question))
        except Exception as error:  # noqa: BLE001 - reported below with the others
            failed.append(repr(error))

    threads = [threading.Thread(target=ask, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == [] and wrong == []
    use = service.cache.use()
    assert use.nbytes <= budget and use.evictions > 0
