"""The world of Memory Networks §5.2: people move between places and pick up, drop and give objects.

``World`` keeps the true state and every event; ``Narrator`` writes events as statements (one or two
events a statement, names or pronouns, time markers) and remembers which statement said what, so
that every question comes with its answer and the statements that support it, in the order O is
trained to find them (``questions.py``).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from . import lexicon


@dataclass(frozen=True)
class Person:
    name: str
    pronoun: str  # "he" or "she"


@dataclass
class Event:
    """One thing that happened, and where it was said: statement ``at``; ``via`` are the statements that
    say who (or what) the pronouns of that statement stand for."""

    kind: str  # move, take, drop, give, not_in, either
    person: Person
    place: str | None = None
    other_place: str | None = None  # either: "in the place or the other place"
    obj: str | None = None
    receiver: Person | None = None
    at: int = -1
    via: tuple[int, ...] = ()
    when: int = 0  # the order events happened in: the writing order, but for day stories

    def supports(self, name_first: bool) -> list[int]:
        """The statements that say this event. A pronoun's referent comes first when the event is found
        through its person (O finds the name, then the statement right after it), last when the event
        is found through its object (O finds the statement, then the one that names its subject)."""
        return [*self.via, self.at] if name_first else [self.at, *self.via]


def with_article(place: str) -> str:
    """How a place is said: "the kitchen", "Mount-Kenya"; a third of the made-up names, always the same
    ones, take an article too ("the Brinamou", as people say "the Shire")."""
    if not place[:1].isupper():
        return f"the {place}"
    made_up = place not in lexicon.NAMED_PLACES
    return f"the {place}" if made_up and sum(map(ord, place)) % 3 == 0 else place


@dataclass
class World:
    """The true state: where each person is (as far as anyone said), who holds what, where things lie."""

    people: list[Person]
    places: list[str]
    objects: list[str]
    rng: random.Random
    where: dict[Person, str | None] = field(default_factory=dict)
    known: dict[Person, Event] = field(default_factory=dict)  # the last event that says where someone is
    holder: dict[str, Person | None] = field(default_factory=dict)
    lies_in: dict[str, str | None] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    said_relations: list[tuple[str, str, str, int]] = field(default_factory=list)  # (place, direction, other, at)

    @staticmethod
    def cast(rng: random.Random, people: int, places: int, objects: int, unseen: float = 0.0) -> World:
        """A world of that many people, places and objects, drawn from the lexicon; ``unseen`` is the share
        of each given a made-up name instead."""
        women, men = rng.sample(lexicon.WOMEN, people), rng.sample(lexicon.MEN, people)
        cast: list[Person] = []
        for k in range(people):
            pronoun = rng.choice(["he", "she"])
            name = (women if pronoun == "she" else men)[k]
            cast.append(Person(lexicon.syllable_name(rng) if rng.random() < unseen else name, pronoun))
        pool = lexicon.ROOMS + lexicon.PLACES + lexicon.NAMED_PLACES
        chosen = rng.sample(pool, places)
        chosen = [
            (lexicon.syllable_name(rng, capitalised=p[:1].isupper()) if rng.random() < unseen else p) for p in chosen
        ]
        things = [
            lexicon.syllable_name(rng, capitalised=False) if rng.random() < unseen else o
            for o in rng.sample(lexicon.OBJECTS, objects)
        ]
        return World(_distinct(cast), list(dict.fromkeys(chosen)), list(dict.fromkeys(things)), rng)

    def __post_init__(self) -> None:
        self.where = {p: None for p in self.people}
        self.holder = {o: None for o in self.objects}
        self.lies_in = {o: None for o in self.objects}

    # -- what may happen now ------------------------------------------------------------

    def located(self) -> list[Person]:
        return [p for p in self.people if self.where[p] is not None]

    def carried_by(self, person: Person) -> list[str]:
        return [o for o in self.objects if self.holder[o] == person]

    def takeable(self, person: Person) -> list[str]:
        """Objects the person could pick up: lying where the person is, or never seen anywhere yet."""
        here = self.where[person]
        if here is None:
            return []
        return [o for o in self.objects if self.holder[o] is None and self.lies_in[o] in (here, None)]

    def neighbours(self) -> list[tuple[str, str, str]]:
        """(place, direction, other) for places side by side on the world's map, a 3 by 3 grid (a map of
        its own for each set of places): "the kitchen is north of the garden"."""
        cells = random.Random(",".join(self.places)).sample([(x, y) for x in range(3) for y in range(3)], 9)
        at = dict(zip(self.places, cells, strict=False))
        steps = {"north": (0, 1), "south": (0, -1), "east": (1, 0), "west": (-1, 0)}
        return [
            (place, direction, other)
            for place, (x, y) in at.items()
            for other, (u, v) in at.items()
            for direction, (dx, dy) in steps.items()
            if (x - u, y - v) == (dx, dy)
        ]

    def companions(self, person: Person) -> list[Person]:
        here = self.where[person]
        return [q for q in self.people if q != person and here is not None and self.where[q] == here]

    # -- events ---------------------------------------------------------------------------

    def apply(self, event: Event) -> Event:
        """Change the state by ``event`` (checked), and record it."""
        person = event.person
        if event.kind == "move":
            assert event.place is not None
            self.where[person] = event.place
            self.known[person] = event
        elif event.kind == "take":
            assert event.obj in self.takeable(person), (event, self.where[person])
            self.holder[event.obj] = person
            self.lies_in[event.obj] = None
        elif event.kind == "drop":
            assert event.obj is not None and self.holder[event.obj] == person
            self.holder[event.obj], self.lies_in[event.obj] = None, self.where[person]
        elif event.kind == "give":
            assert event.obj is not None and self.holder[event.obj] == person and event.receiver is not None
            assert self.where[event.receiver] == self.where[person]
            self.holder[event.obj] = event.receiver
        elif event.kind in ("not_in", "either"):
            assert not self.carried_by(person)  # or where what they carry is would be unknown too
            self.where[person] = None  # nobody knows exactly where any more
            self.known[person] = event
        else:
            raise ValueError(f"unknown event kind {event.kind!r}")
        self.events.append(event)
        return event

    def history(self, **match: object) -> list[Event]:
        """The events whose fields equal ``match``, in the order they happened."""
        found = [e for e in self.events if all(getattr(e, k) == v for k, v in match.items())]
        return sorted(found, key=lambda e: (e.when, e.at))


def _distinct(people: list[Person]) -> list[Person]:
    seen: set[str] = set()
    out = []
    for person in people:
        if person.name.lower() not in seen:
            seen.add(person.name.lower())
            out.append(person)
    return out


@dataclass
class Narrator:
    """Writes events as statements. A subject may be a pronoun only when the statement before had the
    same subject (and an object "it" only when the statement before had the same object), so every
    pronoun is unambiguous; ``via`` records the statements that name what a pronoun means."""

    rng: random.Random
    pronouns: float = 0.0  # chance a subject (or object) that may be a pronoun is one
    markers: float = 0.0  # chance a statement opens with a connective, a day or a clock time
    adjectives: float = 0.0  # chance an object is named with its adjective ("the red ball")
    statements: list[str] = field(default_factory=list)
    _subject: tuple[Person, ...] = ()  # the subject of the last statement
    _object: str | None = None  # the object of the last statement
    _named_at: dict[Person, int] = field(default_factory=dict)  # where each person's name was last written
    _object_named_at: dict[str, int] = field(default_factory=dict)
    _clock: int = 7  # the hour of the latest clock time said (7 am to 6 pm)
    _day: int = 0  # the latest day of the week said
    _adjective: dict[str, str] = field(default_factory=dict)  # each object's, drawn when first needed

    @property
    def next_at(self) -> int:
        return len(self.statements)

    def say(self, template: str, events: list[Event], people: dict[str, Person], **words: str) -> None:
        """Write one statement from ``template``: ``people`` fill {p} and {q}, ``words`` the rest ({o} an
        object, named without its article; {l}, {m} places with theirs). The events it says get their
        ``at`` and ``via``."""
        at, via = self.next_at, []
        fill: dict[str, str] = {}
        subject = template[
            template.index("{") + 1
        ]  # the first person named is the subject: "{p} ...", "On Monday {q} ..."
        for slot, person in people.items():
            if slot == subject and self._subject == (person,) and self.rng.random() < self.pronouns:
                fill[slot] = person.pronoun
                via.append(self._named_at[person])
            else:
                fill[slot] = person.name
                self._named_at[person] = at
        obj = words.pop("o", None)
        if obj is not None:
            if self._object == obj and self.rng.random() < self.pronouns:
                fill["o"] = "them" if obj in lexicon.PLURAL else "it"
                via.append(self._object_named_at[obj])
            else:
                fill["o"] = self._object_name(obj)
                self._object_named_at[obj] = at
        self._subject, self._object = ((people[subject],) if subject in people else ()), obj
        text = template.format(**fill, **words)
        if obj in lexicon.PLURAL:  # "took the keys and gave them to Fred"
            text = re.sub(r"\bit\b", "them", text)
        self.statements.append(self._finished(text))
        for event in events:
            event.at, event.via = at, tuple(dict.fromkeys(via))

    def say_together(self, template: str, first: Person, second: Person, place: str, events: list[Event]) -> None:
        """ "{p} and {q} went to {l}", or "Then they went to {l}" right after such a statement."""
        at = self.next_at
        via: tuple[int, ...] = ()
        if template in lexicon.THEY_MOVE:
            via = tuple(sorted({self._named_at[first], self._named_at[second]}))
            text = template.format(l=with_article(place))
        else:
            text = template.format(p=first.name, q=second.name, l=with_article(place))
            self._named_at[first] = self._named_at[second] = at
        self._subject, self._object = (first, second), None
        self.statements.append(self._finished(text, marker=False))
        for event in events:
            event.at, event.via = at, via

    def _object_name(self, obj: str) -> str:
        if self.adjectives and self.rng.random() < self.adjectives:
            return f"the {self._adjective.setdefault(obj, self.rng.choice(lexicon.ADJECTIVES))} {obj}"
        return f"the {obj}"

    def say_idle(self, people: list[Person]) -> None:
        """A statement that changes nothing anyone asks about ("Joe smiled", "It started to rain")."""
        template = self.rng.choice(lexicon.IDLE + lexicon.SCENERY if len(people) >= 2 else lexicon.SCENERY)
        if "{p}" not in template:
            self.say_plain(template)
            return
        first, second = self.rng.sample(people, 2)
        self.say(template, [], {"p": first, "q": second} if "{q}" in template else {"p": first})

    def say_plain(self, text: str) -> None:
        """A statement that is no event of the world (a time-marked move of a day story says its own)."""
        self._subject, self._object = (), None
        self.statements.append(self._finished(text, marker=False))

    def _finished(self, text: str, marker: bool = True) -> str:
        if marker and self.rng.random() < self.markers:
            text = self._marked(text)
        end = self.rng.choice([".", ".", ".", ".", ".", "", "!"]) if self.markers else "."
        return text[0].upper() + text[1:] + end

    def _marked(self, text: str) -> str:
        """``text`` with a connective, a day of the week or a clock time; days and times only go forward."""
        kind = self.rng.random()
        if kind < 0.5:
            return f"{self.rng.choice(lexicon.CONNECTIVES)} {text}"
        if kind < 0.65:
            self._day = min(self._day + self.rng.randint(0, 1), len(lexicon.DAYS) - 1)
            return f"{self.rng.choice(lexicon.WEEKDAY).format(d=lexicon.DAYS[self._day])} {text}"
        self._clock = min(self._clock + self.rng.randint(0, 1), 18)
        hour = {"h": self._clock if self._clock <= 12 else self._clock - 12, "ap": "am" if self._clock < 12 else "pm"}
        said = hour | {"m": self.rng.choice(["15", "30", "45"])}
        if self.rng.random() < 0.3:
            return text + self.rng.choice(lexicon.CLOCK_AFTER).format(**said)
        if self._clock == 12 and self.rng.random() < 0.5:
            return f"{self.rng.choice(['At noon,', 'At midday', 'Around noon,'])} {text}"
        return f"{self.rng.choice(lexicon.CLOCK).format(**said)} {text}"
