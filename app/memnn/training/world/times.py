"""Stories told by the clock or the calendar (bAbI task 14's kind, in other words): where people were
yesterday, this morning and this evening, on Monday and on Friday, at 9am and at 2pm, in March and in
May. The times say the order, and the story may tell them in any order.

Questions: where someone was at a time ("Where was Joe on Tuesday?"), and where they were before a
place ("Where was Joe before the park?": the place they were at the time before that visit).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from . import lexicon
from .questions import Asked
from .simulator import Event, Narrator, Person, World, with_article


@dataclass
class Visit:
    time: int  # index into the calendar
    event: Event


def visits(rng: random.Random, world: World, calendar: list[tuple[str, list[str]]]) -> list[Visit]:
    """Each person's places at 2 to 4 times of the calendar, a different place each time."""
    out = []
    for person in world.people:
        times = sorted(rng.sample(range(len(calendar)), min(len(calendar), rng.randint(2, 4))))
        place = None
        for time in times:
            place = rng.choice([p for p in world.places if p != place])
            out.append(Visit(time, Event("move", person, place, when=time)))
    return out


def tell(rng: random.Random, narrator: Narrator, told: list[Visit], calendar: list[tuple[str, list[str]]]) -> None:
    """Write each visit as a statement that says its time, before or after the move; a person said
    twice in a row may be a pronoun the second time (the first statement is then a supporting one)."""
    for visit in told:
        time = rng.choice(calendar[visit.time][1])
        move = rng.choice(lexicon.EVERYDAY.move[:12])
        person, place = visit.event.person, visit.event.place
        assert place is not None
        if rng.random() < 0.5:  # "Joe went to the park on Monday", "He went to the park on Monday"
            template = f"{move} {time}"
        else:  # "On Monday Joe went to the park", "On Tuesday, she went to the garden"
            template = f"{time[0].upper()}{time[1:]}{rng.choice(['', ','])} {move}"
        narrator.say(template, [visit.event], {"p": person}, l=with_article(place))


def ask(rng: random.Random, person: Person, seen: list[Visit], calendar: list[tuple[str, list[str]]]) -> list[Asked]:
    """The questions about one person's visits (in time order)."""
    language, asked = lexicon.EVERYDAY, []
    if len(seen) >= 2 and rng.random() < 0.7:
        k = rng.randrange(1, len(seen))
        before, visit = seen[k - 1].event, seen[k].event
        assert visit.place is not None and before.place is not None
        if [v.event.place for v in seen].count(visit.place) == 1:
            text = rng.choice(language.where_before_person).format(p=person.name, l=with_article(visit.place))
            supports = tuple(dict.fromkeys([*visit.supports(True), *before.supports(True)]))
            asked.append(Asked("day-before", text, before.place.lower(), supports))
    when = rng.choice(seen)
    assert when.event.place is not None
    text = rng.choice(language.where_at_time).format(p=person.name, t=calendar[when.time][0])
    asked.append(
        Asked("day-when", text[0].upper() + text[1:], when.event.place.lower(), tuple(when.event.supports(True)))
    )
    return asked


def calendar_story(rng: random.Random) -> tuple[Narrator, list[Asked]]:
    """One story on one calendar, told in time order (or, 30% of the time, shuffled), and its questions."""
    calendar = lexicon.CALENDARS[rng.choice(list(lexicon.CALENDARS))]
    world = World.cast(rng, rng.randint(2, 4), rng.randint(4, 7), 0, unseen=0.5)
    narrator = Narrator(rng, pronouns=0.3)
    told = visits(rng, world, calendar)
    if rng.random() < 0.3:  # people mostly tell what happened in the order it happened
        rng.shuffle(told)
    tell(rng, narrator, told, calendar)
    asked = []
    for person in world.people:
        seen = sorted((v for v in told if v.event.person == person), key=lambda v: v.time)
        asked += ask(rng, person, seen, calendar)
    return narrator, asked
