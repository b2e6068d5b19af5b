"""Questions about the world as it stands, each with its answer and its supporting statements in the
order O is trained to find them: first what the question's words lead to, then what that leads to.

Every maker returns None when its question has no single right answer now (nobody holds the object,
nobody knows where the person is, two people are in the room).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from . import lexicon
from .lexicon import Language
from .simulator import Event, Person, World, with_article

NUMBER_WORDS = lexicon.NUMBERS  # "none" for zero, as bAbI's counting task says it


@dataclass(frozen=True)
class Asked:
    kind: str
    text: str
    answer: str
    supporting: tuple[int, ...]


def _ordered(*groups: list[int]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(at for group in groups for at in group))


def _phrase(rng: random.Random, templates: list[str], **words: str) -> str:
    text = rng.choice(templates).format(**words)
    obj = words.get("o", "")
    return _plural(text, obj) if obj.removeprefix("the ") in lexicon.PLURAL else text


_VERB = {"is": "are", "Is": "Are", "'s": " are", "has": "have"}


def _plural(text: str, obj: str) -> str:
    """A question whose subject is a plural object, in the plural: "Where are the keys?", "Are the keys
    in the hall?", "where the keys are", "Where have the keys gone?"."""
    text = re.sub(rf"(\bis\b|\bIs\b|'s)(?= {obj}\b)", lambda m: _VERB[m.group(1)], text)
    text = re.sub(rf"\bhas (?={obj} gone)", "have ", text)
    return re.sub(rf"(?<={obj}) is\b", " are", text)


def _token(word: str) -> str:
    return word.lower()


def _object_event(world: World, obj: str) -> Event | None:
    events = [e for e in world.events if e.obj == obj]
    return max(events, key=lambda e: (e.when, e.at)) if events else None


def _located_by_move(world: World, person: Person, before: Event | None = None) -> Event | None:
    """The last event placing ``person`` (before ``before``, if given), if it was a move."""
    placed = [e for e in world.events if e.person == person and e.kind in ("move", "not_in", "either")]
    if before is not None:
        placed = [e for e in placed if (e.when, e.at) < (before.when, before.at)]
    last = max(placed, key=lambda e: (e.when, e.at), default=None)
    return last if last is not None and last.kind == "move" else None


def where_person(world: World, rng: random.Random, language: Language) -> Asked | None:
    person = rng.choice(world.people)
    moved = _located_by_move(world, person)
    if moved is None or moved.place is None:
        return None
    text = _phrase(rng, language.where_person, p=person.name)
    return Asked("where-person", text, _token(moved.place), _ordered(moved.supports(name_first=True)))


def _object_place(world: World, obj: str) -> tuple[str, tuple[int, ...]] | None:
    """Where ``obj`` is (carried: where its holder is; dropped: where they were when they dropped it), and
    the statements that say so, if anyone knows."""
    last = _object_event(world, obj)
    if last is None:
        return None
    holder = world.holder[obj]
    moved = _located_by_move(world, holder) if holder else _located_by_move(world, last.person, before=last)
    if moved is None or moved.place is None:
        return None
    return moved.place, _ordered(last.supports(False), moved.supports(True))


def where_object(world: World, rng: random.Random, language: Language) -> Asked | None:
    obj = rng.choice(world.objects)
    found = _object_place(world, obj)
    if found is None:
        return None
    text = _phrase(rng, language.where_object, o=f"the {obj}")
    return Asked("where-object", text, _token(found[0]), found[1])


def where_before(world: World, rng: random.Random, language: Language) -> Asked | None:
    """ "Where was P before the L?": the place P left for the latest visit to L."""
    person = rng.choice(world.people)
    moves = [e for e in world.events if e.kind == "move" and e.person == person]
    moves.sort(key=lambda e: (e.when, e.at))
    pairs = [(a, b) for a, b in zip(moves, moves[1:], strict=False) if a.place != b.place]
    if not pairs:
        return None
    latest: dict[str | None, tuple[Event, Event]] = {}
    for a, b in pairs:
        latest[b.place] = (a, b)
    for place in list(latest):  # the visit must be the latest to that place
        if [m for m in moves if m.place == place][-1] is not latest[place][1]:
            del latest[place]
    if not latest:
        return None
    before, visit = latest[rng.choice(list(latest))]
    assert visit.place is not None and before.place is not None
    text = _phrase(rng, language.where_before_person, p=person.name, l=with_article(visit.place))
    return Asked("where-before", text, _token(before.place), _ordered(visit.supports(True), before.supports(True)))


def who_has(world: World, rng: random.Random, language: Language) -> Asked | None:
    obj = rng.choice(world.objects)
    holder, last = world.holder[obj], _object_event(world, obj)
    if holder is None or last is None:
        return None
    text = _phrase(rng, language.who_has, o=f"the {obj}")
    return Asked("who-has", text, _token(holder.name), _ordered(last.supports(False)))


def does_have(world: World, rng: random.Random, language: Language) -> Asked | None:
    obj = rng.choice(world.objects)
    last = _object_event(world, obj)
    if last is None:
        return None
    handlers = {e.person for e in world.events if e.obj == obj} | {e.receiver for e in world.events if e.obj == obj}
    if rng.random() < 0.3:  # sometimes about anyone: someone who never touched it has it no more than others
        handlers = set(world.people)
    person = rng.choice(sorted((p for p in handlers if p is not None), key=lambda p: p.name))
    answer = "yes" if world.holder[obj] == person else "no"
    text = _phrase(rng, language.does_have, p=person.name, o=f"the {obj}")
    return Asked("does-have", text, answer, _ordered(last.supports(False)))


def _holdings(world: World, person: Person) -> tuple[list[str], list[Event]] | None:
    """What ``person`` carries, in the order they got it, and every event that made or unmade it."""
    events = [e for e in world.events if e.obj is not None and person in (e.person, e.receiver)]
    if not events or len(events) > 6:
        return None
    events.sort(key=lambda e: (e.when, e.at))
    held = [o for o in dict.fromkeys(e.obj for e in events if e.obj is not None) if world.holder[o] == person]
    return held, events


def carrying(world: World, rng: random.Random, language: Language) -> Asked | None:
    person = rng.choice(world.people)
    found = _holdings(world, person)
    if found is None:
        return None
    held, events = found
    text = _phrase(rng, language.carrying, p=person.name)
    supports = _ordered(*(e.supports(False) for e in events))
    return Asked("carrying", text, ",".join(held) if held else "nothing", supports)


def how_many(world: World, rng: random.Random, language: Language) -> Asked | None:
    person = rng.choice(world.people)
    found = _holdings(world, person)
    if found is None or len(found[0]) >= len(NUMBER_WORDS):
        return None
    held, events = found
    text = _phrase(rng, language.how_many, p=person.name)
    return Asked("how-many", text, NUMBER_WORDS[len(held)], _ordered(*(e.supports(False) for e in events)))


def gave(world: World, rng: random.Random, language: Language) -> Asked | None:
    """Who gave what to whom, about the latest give of an object (bAbI task 5's questions, reworded)."""
    gives = [e for e in world.events if e.kind == "give"]
    if not gives:
        return None
    event = rng.choice(gives)
    obj, giver, receiver = event.obj, event.person, event.receiver
    assert obj is not None and receiver is not None
    if [e for e in gives if e.obj == obj][-1] is not event:
        return None
    between = [e for e in gives if e.person == giver and e.receiver == receiver]
    choice = rng.choice(["who-gave", "what-gave", "gave-to", "who-received", "who-gave-any"])
    if choice == "what-gave":
        if between[-1] is not event:
            return None
        text, answer = _phrase(rng, language.what_gave, p=giver.name, q=receiver.name), obj
    elif choice == "who-gave":
        text, answer = _phrase(rng, language.who_gave, o=f"the {obj}", q=receiver.name), giver.name
    elif choice == "gave-to":
        text, answer = _phrase(rng, language.gave_to, p=giver.name, o=f"the {obj}"), receiver.name
    elif choice == "who-received":
        text, answer = _phrase(rng, language.who_received, o=f"the {obj}"), receiver.name
    else:
        text, answer = _phrase(rng, language.who_gave_any, o=f"the {obj}"), giver.name
    return Asked("gave", text, _token(answer), _ordered(event.supports(False)))


def is_in(world: World, rng: random.Random, language: Language) -> Asked | None:
    person = rng.choice(world.people)
    known = world.known.get(person)
    if known is None or known.place is None:
        return None
    place = rng.choice([known.place, known.other_place or known.place, rng.choice(world.places)])
    if known.kind == "move":
        answer = "yes" if place == known.place else "no"
    elif known.kind == "either":
        answer = "maybe" if place in (known.place, known.other_place) else "no"
    elif place == known.place:  # not_in
        answer = "no"
    else:
        return None
    text = _phrase(rng, language.is_in, p=person.name, l=with_article(place))
    return Asked("is-in", text, answer, _ordered(known.supports(True)))


def is_object_in(world: World, rng: random.Random, language: Language) -> Asked | None:
    """ "Is the milk in the office?": yes where it is (with its holder, or where it was dropped), else no."""
    obj = rng.choice(world.objects)
    found = _object_place(world, obj)
    if found is None:
        return None
    place = found[0] if rng.random() < 0.5 else rng.choice(world.places)
    text = _phrase(rng, language.is_object_in, o=f"the {obj}", l=with_article(place))
    return Asked("is-object-in", text, "yes" if place == found[0] else "no", found[1])


def who_is_in(world: World, rng: random.Random, language: Language) -> Asked | None:
    place = rng.choice(world.places)
    there = [p for p in world.people if world.where[p] == place]
    if len(there) != 1:
        return None
    moved = _located_by_move(world, there[0])
    if moved is None:
        return None
    text = _phrase(rng, language.who_is_in, l=with_article(place))
    return Asked("who-is-in", text, _token(there[0].name), _ordered(moved.supports(True)))


def direction(world: World, rng: random.Random, language: Language) -> Asked | None:
    """ "What is north of the garden?" or "What is the kitchen north of?", from a relation said (bAbI
    task 4's questions, reworded); on the world's map a place has one neighbour each way."""
    if not world.said_relations:
        return None
    place, way, other, at = rng.choice(world.said_relations)
    if rng.random() < 0.5:
        text, answer = _phrase(rng, language.what_is_direction, d=way, m=with_article(other)), place
    else:
        text, answer = _phrase(rng, language.direction_of_what, l=with_article(place), d=way), other
    return Asked("direction", text, _token(answer), (at,))


MAKERS: dict[str, Callable[[World, random.Random, Language], Asked | None]] = {
    "where-person": where_person,
    "where-object": where_object,
    "where-before": where_before,
    "who-has": who_has,
    "does-have": does_have,
    "carrying": carrying,
    "how-many": how_many,
    "gave": gave,
    "is-in": is_in,
    "who-is-in": who_is_in,
    "is-object-in": is_object_in,
    "direction": direction,
}
