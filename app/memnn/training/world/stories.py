"""Stories of the simulated world, as training and test questions: the paper's settings (§5.2, Table 3)
and the world users describe (every event and question kind mixed, many phrasings, pronouns,
compound statements, time markers, unseen names, long histories).

A story is a run of statements with questions asked along the way; each question is a
``training.babi.Question`` holding every statement before it, its answer and its supporting
statements, so the bAbI reader's training and evaluation take generated stories unchanged.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from ..babi import Question, words_of
from ..train import Generated
from . import lexicon
from .events import happen
from .questions import MAKERS, Asked
from .simulator import Narrator, World
from .times import calendar_story

# Task numbers of the generated question kinds (bAbI's are 1 to 20): training batches and reports
# are per task. Long stories' questions are the same kinds, numbered apart.
WORLD_TASKS = {kind: 101 + k for k, kind in enumerate([*MAKERS, "day-before", "day-when"])}
LONG = 100  # a long story's task number: its kind's plus this
TASK_NAMES = {number: f"world-{kind}" for kind, number in WORLD_TASKS.items()}
TASK_NAMES |= {number + LONG: f"world-long-{kind}" for kind, number in WORLD_TASKS.items()}


@dataclass(frozen=True)
class Style:
    """How a family of stories is told: its cast, length, events, questions and language."""

    people: tuple[int, int] = (2, 5)
    places: tuple[int, int] = (3, 7)
    objects: tuple[int, int] = (2, 5)
    statements: tuple[int, int] = (8, 40)
    asked: float = 0.35  # chance of a question after a statement
    kinds: tuple[str, ...] = tuple(MAKERS)
    events: dict[str, float] = field(
        default_factory=lambda: {
            "move": 5,
            "take": 2,
            "drop": 1.2,
            "give": 1.2,
            "not_in": 0.4,
            "either": 0.4,
            "move_take": 0.6,
            "move_take_move": 0.25,
            "idle": 0.6,
            "relation": 0.3,
            "stay": 0.25,
            "leave_for": 0.25,
            "move_move": 0.25,
            "take_give": 0.2,
            "take_move_drop": 0.15,
            "take_move": 0.6,
            "drop_move": 0.3,
            "two_moves": 0.4,
            "together": 0.4,
        }  # fmt: skip
    )
    pronouns: float = 0.3
    markers: float = 0.3
    adjectives: float = 0.1  # chance an object is named with its adjective
    unseen: float = 0.5  # share of people, places and objects with made-up names
    language: lexicon.Language = lexicon.EVERYDAY
    difficulty: int | None = None  # the paper's: a question's latest supporting fact is this close or closer
    filler: tuple[int, int] = (0, 0)  # other people's statements between a long story's events and its questions


LISTS = ("carrying", "how-many")  # asked twice as often: a list needs every event of a person found and read
USERS = Style(kinds=(*MAKERS, *LISTS))
LONG_STORIES = Style(
    statements=(4, 12), asked=0.0, filler=(40, 180), kinds=tuple(k for k in (*MAKERS, *LISTS) if k != "who-is-in")
)


def happen_in(world: World, narrator: Narrator, rng: random.Random, style: Style) -> bool:
    """One statement of the story, of a kind drawn by the style's weights, if it can happen now."""
    return happen(world, narrator, rng, style.events, style.language)


def ask_in(world: World, narrator: Narrator, rng: random.Random, style: Style) -> Asked | None:
    """A question of a kind the style asks that has one right answer now (and, at the paper's
    difficulty, its latest supporting fact close enough), if one of six draws finds it."""
    for _ in range(6):
        asked = MAKERS[rng.choice(style.kinds)](world, rng, style.language)
        if asked is None:
            continue
        if style.difficulty is not None and max(asked.supporting) < narrator.next_at - style.difficulty:
            continue
        return asked
    return None


def story(rng: random.Random, style: Style, story_id: int, task_offset: int = 0) -> list[Question]:
    """One story in ``style`` and the questions asked along it."""
    people, places, objects = (rng.randint(*bounds) for bounds in (style.people, style.places, style.objects))
    world = World.cast(rng, people, places, objects, unseen=style.unseen)
    narrator = Narrator(rng, style.pronouns, style.markers, style.adjectives)
    questions: list[Question] = []
    length = rng.randint(*style.statements)
    while narrator.next_at < length:
        if not happen_in(world, narrator, rng, style):
            continue
        if style.asked and rng.random() < style.asked and (asked := ask_in(world, narrator, rng, style)):
            questions.append(as_question(asked, narrator, story_id, task_offset))
    if style.filler != (0, 0):
        _fill(world, narrator, rng, rng.randint(*style.filler))
        for _ in range(rng.randint(1, 3)):
            if asked := ask_in(world, narrator, rng, style):
                questions.append(as_question(asked, narrator, story_id, LONG))
    return questions


def as_question(asked: Asked, narrator: Narrator, story_id: int, task_offset: int) -> Question:
    """``asked`` as a training question over every statement so far."""
    return Question(
        task=WORLD_TASKS[asked.kind] + task_offset,
        story_id=story_id,
        statements=tuple(narrator.statements),
        question=asked.text,
        answer=asked.answer,
        supporting=asked.supporting,
    )


def _fill(world: World, narrator: Narrator, rng: random.Random, count: int) -> None:
    """``count`` statements of other people's doings, in the same places, never naming the story's
    people or objects: the history a long bank buries its facts in."""
    taken = {p.name.lower() for p in world.people} | {o.lower() for o in world.objects}
    others = World.cast(rng, 5, 0, 4, unseen=0.5)
    others.people = [p for p in others.people if p.name.lower() not in taken][:4]
    others.objects = [o for o in others.objects if o.lower() not in taken]
    others.places = list(world.places)
    others.__post_init__()
    quiet = replace(USERS, events={k: v for k, v in USERS.events.items() if k not in ("not_in", "either")})
    end = narrator.next_at + count
    while narrator.next_at < end:
        happen_in(others, narrator, rng, quiet)


def day_story(rng: random.Random, story_id: int) -> list[Question]:
    """A story told by the clock or the calendar (``times.py``) and its questions."""
    narrator, asked = calendar_story(rng)
    return [as_question(question, narrator, story_id, 0) for question in asked]


def generate(kind: str, count: int, seed: int) -> list[Question]:
    """``count`` questions of one kind of story ("users", "long", "day"), deterministic for a seed."""
    rng = random.Random(f"{kind}-{seed}")
    questions: list[Question] = []
    story_id = 0
    while len(questions) < count:
        if kind == "day":
            questions += day_story(rng, story_id)
        else:
            questions += story(rng, LONG_STORIES if kind == "long" else USERS, story_id)
        story_id += 1
    return questions[:count]


MIX = {"users": 0.65, "long": 0.2, "day": 0.15}  # the share of each kind of story in generated training data


def training_mix(count: int, seed: int) -> list[Question]:
    """``count`` questions of the world users describe, of every kind of story (``MIX``), for training."""
    questions: list[Question] = []
    for kind, share in MIX.items():
        batch = generate(kind, round(count * share), seed)
        offset = 1_000_000 * len(questions)  # story ids of different kinds never meet
        questions += [replace(q, story_id=q.story_id + offset) for q in batch]
    return questions


def world_data(babi: list[Question], count: int, seed: int) -> Generated:
    """``count`` questions of the world users describe for every epoch of training, drawn anew each
    epoch (``training_mix``), a tenth as many for validation, and the vocabulary to train with: bAbI's
    words and the world's phrasings (``lexicon.function_words``). The world's people, places and
    objects stay out of it: a model meets them as unseen words, as it meets a user's."""
    return Generated(
        draw=lambda epoch: training_mix(count, seed * 1000 + epoch),
        validation=training_mix(max(1, count // 10), seed * 1000),
        vocabulary=list(dict.fromkeys([*words_of(babi), *lexicon.function_words()])),
    )
