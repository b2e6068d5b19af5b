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

from ..training.babi import Question
from . import lexicon
from .questions import MAKERS, Asked
from .simulator import Event, Narrator, Person, World, with_article

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
            "take_move": 0.6,
            "drop_move": 0.3,
            "two_moves": 0.4,
            "together": 0.4,
        }  # fmt: skip
    )
    pronouns: float = 0.3
    markers: float = 0.15
    unseen: float = 0.5  # share of people, places and objects with made-up names
    language: lexicon.Language = lexicon.EVERYDAY
    difficulty: int | None = None  # the paper's: a question's latest supporting fact is this close or closer
    filler: tuple[int, int] = (0, 0)  # other people's statements between a long story's events and its questions


USERS = Style()
LONG_STORIES = Style(
    statements=(4, 12), asked=0.0, filler=(40, 180), kinds=tuple(k for k in MAKERS if k != "who-is-in")
)


def _happen(world: World, narrator: Narrator, rng: random.Random, style: Style) -> bool:
    """One statement of one or two events, if the drawn kind can happen now."""
    weights, language = style.events, style.language
    kind = rng.choices(list(weights), list(weights.values()))[0]
    person = rng.choice(world.people)
    here = world.where[person]
    carried, takeable = world.carried_by(person), world.takeable(person)
    elsewhere = [p for p in world.places if p != here]
    if kind == "move" and elsewhere:
        place = rng.choice(elsewhere)
        narrator.say(rng.choice(language.move), [world.apply(Event("move", person, place))], {"p": person},
                     l=with_article(place))  # fmt: skip
    elif kind == "take" and takeable:
        obj = rng.choice(takeable)
        narrator.say(rng.choice(language.take), [world.apply(Event("take", person, obj=obj))], {"p": person}, o=obj)
    elif kind == "drop" and carried:
        obj = rng.choice(carried)
        narrator.say(rng.choice(language.drop), [world.apply(Event("drop", person, obj=obj))], {"p": person}, o=obj)
    elif kind == "give" and carried and world.companions(person):
        obj, receiver = rng.choice(carried), rng.choice(world.companions(person))
        event = world.apply(Event("give", person, obj=obj, receiver=receiver))
        template = rng.choice(language.give)
        narrator.say(template, [event], {"p": person, "q": receiver}, o=obj)
    elif kind == "not_in" and here is not None and not carried and world.known.get(person, None) is not None:
        event = world.apply(Event("not_in", person, place=here))
        narrator.say(rng.choice(language.not_in), [event], {"p": person}, l=with_article(here))
    elif kind == "either" and not carried and len(world.places) >= 2:
        first, second = rng.sample(world.places, 2)
        event = world.apply(Event("either", person, place=first, other_place=second))
        narrator.say(rng.choice(language.either), [event], {"p": person}, l=with_article(first), m=with_article(second))
    elif kind == "move_take" and elsewhere:
        place = rng.choice(elsewhere)
        lying = [o for o in world.objects if world.holder[o] is None and world.lies_in[o] in (place, None)]
        if not lying:
            return False
        obj = rng.choice(lying)
        events = [world.apply(Event("move", person, place)), world.apply(Event("take", person, obj=obj))]
        narrator.say(rng.choice(language.move_take), events, {"p": person}, l=with_article(place), o=obj)
    elif kind in ("take_move", "drop_move") and elsewhere and (takeable if kind == "take_move" else carried):
        obj, place = rng.choice(takeable if kind == "take_move" else carried), rng.choice(elsewhere)
        handled = world.apply(Event("take" if kind == "take_move" else "drop", person, obj=obj))
        events = [handled, world.apply(Event("move", person, place))]
        templates = language.take_move if kind == "take_move" else language.drop_move
        narrator.say(rng.choice(templates), events, {"p": person}, l=with_article(place), o=obj)
    elif kind == "two_moves" and len(world.people) >= 2 and len(world.places) >= 2:
        other = rng.choice([p for p in world.people if p != person])
        first, second = rng.sample(world.places, 2)
        events = [world.apply(Event("move", person, first)), world.apply(Event("move", other, second))]
        narrator.say(rng.choice(language.two_moves), events, {"p": person, "q": other}, l=with_article(first),
                     m=with_article(second))  # fmt: skip
    elif kind == "together" and len(world.people) >= 2 and elsewhere:
        other = rng.choice([p for p in world.people if p != person])
        place = rng.choice(elsewhere)
        events = [world.apply(Event("move", person, place)), world.apply(Event("move", other, place))]
        narrator.say_together(rng.choice(language.together), person, other, place, events)
        later = [p for p in world.places if p != place]
        if later and rng.random() < 0.5:  # "Then they went to the garden."
            place = rng.choice(later)
            events = [world.apply(Event("move", person, place)), world.apply(Event("move", other, place))]
            narrator.say_together(rng.choice(language.they_move), person, other, place, events)
    else:
        return False
    return True


def _ask(world: World, narrator: Narrator, rng: random.Random, style: Style) -> Asked | None:
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
    narrator = Narrator(rng, style.pronouns, style.markers)
    questions: list[Question] = []
    length = rng.randint(*style.statements)
    while narrator.next_at < length:
        if not _happen(world, narrator, rng, style):
            continue
        if style.asked and rng.random() < style.asked and (asked := _ask(world, narrator, rng, style)):
            questions.append(_question(asked, narrator, story_id, task_offset))
    if style.filler != (0, 0):
        _fill(world, narrator, rng, rng.randint(*style.filler))
        for _ in range(rng.randint(1, 3)):
            if asked := _ask(world, narrator, rng, style):
                questions.append(_question(asked, narrator, story_id, LONG))
    return questions


def _question(asked: Asked, narrator: Narrator, story_id: int, task_offset: int) -> Question:
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
        _happen(others, narrator, rng, quiet)


def day_story(rng: random.Random, story_id: int) -> list[Question]:
    """bAbI task 14's kind of story in other words: where people were yesterday, this morning, this
    afternoon and this evening, told in no particular order; the times say the order."""
    world = World.cast(rng, rng.randint(2, 4), rng.randint(4, 7), 0, unseen=0.5)
    narrator, language = Narrator(rng), lexicon.EVERYDAY
    days: dict[Person, list[tuple[int, str, int]]] = {}
    told = []
    for person in world.people:
        parts = rng.randint(2, 4)
        places = [rng.choice(world.places)]
        for _ in range(parts - 1):
            places.append(rng.choice([p for p in world.places if p != places[-1]]))
        told += [(person, part, place) for part, place in enumerate(places)]
    rng.shuffle(told)
    for person, part, place in told:
        variant = rng.choice(lexicon.DAY_PARTS[part][1])
        move = rng.choice(language.move[:12]).format(p=person.name, l=with_article(place))
        narrator.say_plain(f"{variant} {move}" if rng.random() < 0.5 else f"{move} {variant.lower()}")
        days.setdefault(person, []).append((part, place, narrator.next_at - 1))
    questions = []
    for person, visits in days.items():
        visits.sort()
        if len(visits) >= 2 and rng.random() < 0.7:
            k = rng.randrange(1, len(visits))
            (_, before, said_before), (_, place, said) = visits[k - 1], visits[k]
            if [v[1] for v in visits].count(place) == 1:
                text = rng.choice(language.where_before_person).format(p=person.name, l=with_article(place))
                questions.append(Asked("day-before", text, before.lower(), (said, said_before)))
        part, place, said = rng.choice(visits)
        variant = rng.choice(lexicon.DAY_PARTS[part][1]).lower()
        text = rng.choice(language.where_at_time).format(p=person.name, t=variant)
        questions.append(Asked("day-when", text[0].upper() + text[1:], place.lower(), (said,)))
    return [_question(asked, narrator, story_id, 0) for asked in questions]


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
