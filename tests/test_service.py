"""What a bank's questions share (hop score rows, each fact's slot matches) changes no answer, a
write to the bank clears the slot matches its new rows may change, and a cold bank is built once."""

import threading
import time

from app.memnn.checkpoint import Checkpoint
from app.service import AskResult, MemoryService
from app.store.database import make_engine, migrate, session_factory
from app.store.filters import MemoryFilter

STORY = [
    "Zanele went to the conservatory.",
    "Mary picked up the milk.",
    "Zanele travelled to the garden.",
    "Mary went to the office.",
    "Sandra went to the kitchen.",
]
QUESTIONS = ["Where is Zanele?", "Where is the milk?", "Where is Mary?", "Where is Sandra?"]


def _weighed(result: AskResult) -> list[object]:
    evidence = [(e.memory.id, e.hop, round(e.score, 4)) for e in result.evidence]
    hops = [
        (h.hop, [(c.id, round(c.score, 4)) for c in h.candidates], round(h.stop_score, 4)) for h in result.considered
    ]
    return [result.answer, round(result.score, 4), evidence, hops]


def _fresh(url: str, checkpoint: Checkpoint) -> MemoryService:
    return MemoryService(checkpoint, session_factory(make_engine(url)))


def test_shared_fact_matches_change_no_answer_and_a_write_clears_them(
    database_url: str, shipped_checkpoint: Checkpoint
) -> None:
    migrate(database_url)
    service = _fresh(database_url, shipped_checkpoint)
    service.add("b", STORY)
    for question in QUESTIONS:  # every question after the first finds facts other questions met
        shared = _weighed(service.ask("b", question, None, explain_top=3))
        assert shared == _weighed(_fresh(database_url, shipped_checkpoint).ask("b", question, None, explain_top=3))
    matrix = service.cache.get("b")
    assert matrix is not None and len(matrix.scratch.fact_matches) > 0

    service.add("b", ["Zanele went to the hallway.", "Mary dropped the milk."])  # near the facts just met
    assert len(matrix.scratch.fact_matches) == 0 and service.cache.get("b") is matrix  # appended, not rebuilt
    for question in QUESTIONS:
        found = _weighed(service.ask("b", question, None, explain_top=3))
        assert found == _weighed(_fresh(database_url, shipped_checkpoint).ask("b", question, None, explain_top=3))
    assert _weighed(service.ask("b", "Where is Zanele?", None))[0] == "hallway"

    service.add("b", ["Sandra travelled to the garden.", "Sandra went to the office."], {"kind": "late"})
    service.ask("b", "Where is Sandra?", None)  # slot matches over the whole bank
    before = len(matrix.scratch.fact_matches)
    late = MemoryFilter(metadata={"kind": "late"})  # rows 0 and 1 of the filtered view are other memories
    filtered = _weighed(service.ask("b", "Where is Sandra?", None, explain_top=3, where=late))
    assert filtered == _weighed(_fresh(database_url, shipped_checkpoint).ask("b", "Where is Sandra?", None, 3, late))
    assert len(matrix.scratch.fact_matches) == before


class CountingBuilds(MemoryService):
    """The real service, counting the matrices it builds from a bank's rows."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.builds = 0

    def _rebuild(self, bank: str):  # type: ignore[no-untyped-def]
        self.builds += 1
        return super()._rebuild(bank)


def test_concurrent_first_questions_build_a_cold_bank_once(database_url: str, shipped_checkpoint: Checkpoint) -> None:
    migrate(database_url)
    _fresh(database_url, shipped_checkpoint).add("cold", STORY * 40)
    service = CountingBuilds(shipped_checkpoint, session_factory(make_engine(database_url)))
    barrier, answers = threading.Barrier(6), []

    def ask() -> None:
        barrier.wait()
        answers.append(service.ask("cold", "Where is Zanele?", None).answer)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert service.builds == 1 and answers == ["garden"] * 6


class FailingFirstBuild(MemoryService):
    """The real service, whose first build of a bank fails once a second question waits for it, and
    whose second build waits for ``finish`` (counting every build it starts)."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.builds = 0
        self.first_started, self.second_started, self.finish = threading.Event(), threading.Event(), threading.Event()

    def _rebuild(self, bank: str):  # type: ignore[no-untyped-def]
        self.builds += 1
        if self.builds == 1:
            self.first_started.set()
            time.sleep(0.3)  # the second question meanwhile waits for this build
            raise RuntimeError("the first build failed")
        if self.builds == 2:
            self.second_started.set()
            assert self.finish.wait(10)
        return super()._rebuild(bank)


def test_after_a_failed_build_a_newcomer_waits_for_the_build_under_way(
    database_url: str, shipped_checkpoint: Checkpoint
) -> None:
    migrate(database_url)
    _fresh(database_url, shipped_checkpoint).add("cold", STORY)
    service = FailingFirstBuild(shipped_checkpoint, session_factory(make_engine(database_url)))
    answers: list[str] = []

    def ask() -> None:
        try:
            answers.append(service.ask("cold", "Where is Zanele?", None).answer)
        except RuntimeError as error:
            answers.append(str(error))

    first = threading.Thread(target=ask)
    first.start()
    assert service.first_started.wait(10)
    waiter = threading.Thread(target=ask)  # waits for the first build, then builds after it fails
    waiter.start()
    first.join()
    assert service.second_started.wait(10)
    newcomer = threading.Thread(target=ask)  # comes while the waiter builds: must wait for that build
    newcomer.start()
    newcomer.join(0.3)
    service.finish.set()
    for thread in (waiter, newcomer):
        thread.join()
    assert service.builds == 2 and sorted(answers) == ["garden", "garden", "the first build failed"]
