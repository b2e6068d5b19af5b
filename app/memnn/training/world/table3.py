"""Memory Networks' Table 3: question answering in the simulated world (§5.2), reproduced.

The paper's world has 4 characters, 3 objects and 5 rooms; characters move, pick up and drop
objects; 7k statements and 3k questions train a model and as many test it. Its columns: questions
about actors only, without and with "before" questions ("Where was Joe before the office?"), and
about actors and objects ("Where is the milk?"), at difficulty 1 (the latest supporting fact is the
statement just before the question) and 5 (it is at most 5 statements back). What exactly the paper's
difficulty measures is not stated beyond that (shared/PAPERS.md); this is our reading of it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace

from ..babi import Question, encode_questions
from ..evaluate import predict, task_results
from ..train import TrainConfig, TrainResult, train
from . import lexicon
from .simulator import Narrator, Person, World
from .stories import Style, as_question, ask_in, happen_in

PEOPLE = [Person("Joe", "he"), Person("Fred", "he"), Person("Bill", "he"), Person("Anne", "she")]
ROOMS = ["kitchen", "office", "bathroom", "garden", "hallway"]
OBJECTS = ["milk", "football", "apple"]
PAPER = Style(
    statements=(60, 80),
    asked=0.43,  # about 3 questions for 7 statements
    events={"move": 4.0, "take": 1.5, "drop": 1.0},
    pronouns=0.0,
    markers=0.0,
    unseen=0.0,
    language=lexicon.PLAIN,
)


@dataclass(frozen=True)
class Column:
    name: str
    kinds: tuple[str, ...]
    difficulty: int
    paper: float  # MemNN k=2 (+time) in the paper's Table 3


COLUMNS = [
    Column("difficulty 1, actor, without before", ("where-person",), 1, 100.0),
    Column("difficulty 1, actor", ("where-person", "where-before"), 1, 100.0),
    Column("difficulty 1, actor and object", ("where-person", "where-before", "where-object"), 1, 100.0),
    Column("difficulty 5, actor", ("where-person", "where-before"), 5, 100.0),
    Column("difficulty 5, actor and object", ("where-person", "where-before", "where-object"), 5, 99.9),
]


def paper_questions(column: Column, statements: int, seed: int) -> list[Question]:
    """Stories of the paper's world, ``statements`` statements in all, with the column's questions."""
    rng = random.Random(f"table3-{column.name}-{seed}")
    style = replace(PAPER, kinds=column.kinds, difficulty=column.difficulty)
    questions: list[Question] = []
    written, story_id = 0, 0
    while written < statements:
        world = World(list(PEOPLE), list(ROOMS), list(OBJECTS), rng)
        narrator = Narrator(rng)
        length = rng.randint(*style.statements)
        while narrator.next_at < length:
            happened = happen_in(world, narrator, rng, style)
            if happened and rng.random() < style.asked and (asked := ask_in(world, narrator, rng, style)):
                questions.append(as_question(asked, narrator, story_id, 0))
        written += narrator.next_at
        story_id += 1
    return [replace(q, task=1) for q in questions]  # one task: the column


@dataclass
class Reproduced:
    column: Column
    accuracy: float
    supporting: float
    questions: int
    model: TrainResult


def reproduce(
    statements: int = 7000,
    epochs: int = 20,
    seed: int = 1,
    columns: list[Column] = COLUMNS,
    progress: Callable[[int, int], None] | None = None,
    log: Callable[[str], None] = print,
) -> list[Reproduced]:
    """Train one model per column on ``statements`` statements of the paper's world and test it on as
    many others (a different seed), as the paper did."""
    out = []
    for column in columns:
        trained = paper_questions(column, statements, seed)
        tested = paper_questions(column, statements, seed + 1000)
        config = TrainConfig(epochs=epochs, seed=seed, window=10_000)
        result = train(trained, {"beam": 1}, config, progress=progress, log=log)
        examples = encode_questions(tested, result.vocabulary)
        [scored] = task_results(tested, examples, predict(result.model, result.vocabulary, examples))
        out.append(Reproduced(column, scored.accuracy, scored.supporting_accuracy, len(tested), result))
        log(f"{column.name}: {100 * scored.accuracy:.1f}% ({len(tested)} test questions)")
    return out


def table(rows: list[Reproduced]) -> str:
    lines = [
        "| setting | questions (test) | accuracy % | supporting facts % | paper MemNN k=2 (+time) % |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.column.name} | {row.questions} | {100 * row.accuracy:.1f} | {100 * row.supporting:.1f} | "
            f"{row.column.paper:g} |"
        )
    return "\n".join(lines)
