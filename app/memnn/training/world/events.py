"""What happens next in a story: one statement of up to three events of the world (or of none), a writer per kind.

``happen`` draws a kind of statement (by the style's weights) and a person; the kind's writer checks
that it can happen now (a move needs somewhere else to go, a drop something carried), changes the
world and has the narrator say it. A writer that cannot happen returns False and the story draws again.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from .lexicon import Language
from .simulator import Event, Narrator, Person, World, with_article


@dataclass
class Scene:
    """The drawn person and what they could do now."""

    world: World
    narrator: Narrator
    rng: random.Random
    language: Language
    person: Person

    @property
    def here(self) -> str | None:
        return self.world.where[self.person]

    @property
    def elsewhere(self) -> list[str]:
        return [p for p in self.world.places if p != self.here]

    def apply(self, kind: str, **fields: object) -> Event:
        return self.world.apply(Event(kind, self.person, **fields))  # type: ignore[arg-type]


def move(scene: Scene) -> bool:
    if not scene.elsewhere:
        return False
    place = scene.rng.choice(scene.elsewhere)
    events = [scene.apply("move", place=place)]
    scene.narrator.say(scene.rng.choice(scene.language.move), events, {"p": scene.person}, l=with_article(place))
    return True


def take(scene: Scene) -> bool:
    return _handle(scene, "take", scene.world.takeable(scene.person), scene.language.take)


def drop(scene: Scene) -> bool:
    return _handle(scene, "drop", scene.world.carried_by(scene.person), scene.language.drop)


def _handle(scene: Scene, kind: str, objects: list[str], templates: list[str]) -> bool:
    """One of ``objects`` taken or dropped, if there is one."""
    if not objects:
        return False
    obj = scene.rng.choice(objects)
    template = scene.rng.choice(templates)
    scene.narrator.say(template, [scene.apply(kind, obj=obj)], {"p": scene.person}, o=obj)
    return True


def give(scene: Scene) -> bool:
    carried, companions = scene.world.carried_by(scene.person), scene.world.companions(scene.person)
    if not carried or not companions:
        return False
    obj, receiver = scene.rng.choice(carried), scene.rng.choice(companions)
    event = scene.apply("give", obj=obj, receiver=receiver)
    scene.narrator.say(scene.rng.choice(scene.language.give), [event], {"p": scene.person, "q": receiver}, o=obj)
    return True


def not_in(scene: Scene) -> bool:
    """ "Joe is no longer in the office": only of someone whose place was said and who carries nothing."""
    here = scene.here
    if here is None or scene.world.carried_by(scene.person) or scene.world.known.get(scene.person) is None:
        return False
    event = scene.apply("not_in", place=here)
    scene.narrator.say(scene.rng.choice(scene.language.not_in), [event], {"p": scene.person}, l=with_article(here))
    return True


def either(scene: Scene) -> bool:
    if scene.world.carried_by(scene.person) or len(scene.world.places) < 2:
        return False
    first, second = scene.rng.sample(scene.world.places, 2)
    event = scene.apply("either", place=first, other_place=second)
    template = scene.rng.choice(scene.language.either)
    scene.narrator.say(template, [event], {"p": scene.person}, l=with_article(first), m=with_article(second))
    return True


def move_take(scene: Scene) -> bool:
    """ "Joe went to the kitchen and picked up the milk": something must lie there (or nowhere yet)."""
    if not scene.elsewhere:
        return False
    place = scene.rng.choice(scene.elsewhere)
    world = scene.world
    lying = [o for o in world.objects if world.holder[o] is None and world.lies_in[o] in (place, None)]
    if not lying:
        return False
    obj = scene.rng.choice(lying)
    events = [scene.apply("move", place=place), scene.apply("take", obj=obj)]
    template = scene.rng.choice(scene.language.move_take)
    scene.narrator.say(template, events, {"p": scene.person}, l=with_article(place), o=obj)
    return True


def move_take_move(scene: Scene) -> bool:
    """ "Joe went to the kitchen, took the milk and walked to the office"."""
    world = scene.world
    if len(scene.elsewhere) < 2:
        return False
    first = scene.rng.choice(scene.elsewhere)
    lying = [o for o in world.objects if world.holder[o] is None and world.lies_in[o] in (first, None)]
    if not lying:
        return False
    obj, then = scene.rng.choice(lying), scene.rng.choice([p for p in world.places if p != first])
    events = [scene.apply("move", place=first), scene.apply("take", obj=obj), scene.apply("move", place=then)]
    template = scene.rng.choice(scene.language.move_take_move)
    scene.narrator.say(template, events, {"p": scene.person}, l=with_article(first), o=obj, m=with_article(then))
    return True


def relation(scene: Scene) -> bool:
    """ "The kitchen is north of the garden": where two of the world's places lie, one not said before."""
    world = scene.world
    said = {(place, other) for place, _, other, _ in world.said_relations}
    fresh = [n for n in world.neighbours() if (n[0], n[2]) not in said and (n[2], n[0]) not in said]
    if not fresh:
        return False
    place, direction, other = scene.rng.choice(fresh)
    world.said_relations.append((place, direction, other, scene.narrator.next_at))
    template = scene.rng.choice(scene.language.relation)
    scene.narrator.say(template, [], {}, l=with_article(place), d=direction, m=with_article(other))
    return True


def stay(scene: Scene) -> bool:
    """ "Joe stayed in the kitchen": where someone already is, said again (the latest word on it)."""
    here = scene.here
    if here is None:
        return False
    template = scene.rng.choice(scene.language.stay)
    scene.narrator.say(template, [scene.apply("move", place=here)], {"p": scene.person}, l=with_article(here))
    return True


def leave_for(scene: Scene) -> bool:
    """ "Joe left the kitchen for the garden"."""
    here = scene.here
    if here is None or not scene.elsewhere:
        return False
    place = scene.rng.choice(scene.elsewhere)
    template = scene.rng.choice(scene.language.leave_for)
    scene.narrator.say(template, [scene.apply("move", place=place)], {"p": scene.person}, l=with_article(here),
                       m=with_article(place))  # fmt: skip
    return True


def move_move(scene: Scene) -> bool:
    """ "Joe went to the office and then to the garden"."""
    if not scene.elsewhere:
        return False
    first = scene.rng.choice(scene.elsewhere)
    then = scene.rng.choice([p for p in scene.world.places if p != first])
    events = [scene.apply("move", place=first), scene.apply("move", place=then)]
    template = scene.rng.choice(scene.language.move_move)
    scene.narrator.say(template, events, {"p": scene.person}, l=with_article(first), m=with_article(then))
    return True


def take_give(scene: Scene) -> bool:
    """ "Joe picked up the milk and gave it to Fred"."""
    takeable, companions = scene.world.takeable(scene.person), scene.world.companions(scene.person)
    if not takeable or not companions:
        return False
    obj, receiver = scene.rng.choice(takeable), scene.rng.choice(companions)
    events = [scene.apply("take", obj=obj), scene.apply("give", obj=obj, receiver=receiver)]
    template = scene.rng.choice(scene.language.take_give)
    scene.narrator.say(template, events, {"p": scene.person, "q": receiver}, o=obj)
    return True


def take_move_drop(scene: Scene) -> bool:
    """ "Joe took the milk, then went to the office and put it down"."""
    takeable = scene.world.takeable(scene.person)
    if not takeable or not scene.elsewhere:
        return False
    obj, place = scene.rng.choice(takeable), scene.rng.choice(scene.elsewhere)
    events = [scene.apply("take", obj=obj), scene.apply("move", place=place), scene.apply("drop", obj=obj)]
    template = scene.rng.choice(scene.language.take_move_drop)
    scene.narrator.say(template, events, {"p": scene.person}, l=with_article(place), o=obj)
    return True


def idle(scene: Scene) -> bool:
    """A statement that changes nothing anyone asks about: a person's mood, the weather."""
    scene.narrator.say_idle(scene.world.people)
    return True


def take_move(scene: Scene) -> bool:
    return _handle_then_move(scene, "take", scene.world.takeable(scene.person), scene.language.take_move)


def drop_move(scene: Scene) -> bool:
    return _handle_then_move(scene, "drop", scene.world.carried_by(scene.person), scene.language.drop_move)


def _handle_then_move(scene: Scene, kind: str, objects: list[str], templates: list[str]) -> bool:
    if not scene.elsewhere or not objects:
        return False
    obj, place = scene.rng.choice(objects), scene.rng.choice(scene.elsewhere)
    events = [scene.apply(kind, obj=obj), scene.apply("move", place=place)]
    scene.narrator.say(scene.rng.choice(templates), events, {"p": scene.person}, l=with_article(place), o=obj)
    return True


def two_moves(scene: Scene) -> bool:
    """ "Joe went to the office and Fred went to the garden": two people, two places."""
    world = scene.world
    if len(world.people) < 2 or len(world.places) < 2:
        return False
    other = scene.rng.choice([p for p in world.people if p != scene.person])
    first, second = scene.rng.sample(world.places, 2)
    events = [scene.apply("move", place=first), world.apply(Event("move", other, second))]
    template = scene.rng.choice(scene.language.two_moves)
    scene.narrator.say(template, events, {"p": scene.person, "q": other}, l=with_article(first), m=with_article(second))
    return True


def together(scene: Scene) -> bool:
    """ "Joe and Fred went to the garden", sometimes followed by "Then they went to the office"."""
    world, rng = scene.world, scene.rng
    if len(world.people) < 2 or not scene.elsewhere:
        return False
    other = rng.choice([p for p in world.people if p != scene.person])
    place = rng.choice(scene.elsewhere)
    _move_together(scene, other, place, scene.language.together)
    later = [p for p in world.places if p != place]
    if later and rng.random() < 0.5:
        _move_together(scene, other, rng.choice(later), scene.language.they_move)
    return True


def _move_together(scene: Scene, other: Person, place: str, templates: list[str]) -> None:
    events = [scene.apply("move", place=place), scene.world.apply(Event("move", other, place))]
    scene.narrator.say_together(scene.rng.choice(templates), scene.person, other, place, events)


WRITERS: dict[str, Callable[[Scene], bool]] = {
    "move": move,
    "take": take,
    "drop": drop,
    "give": give,
    "not_in": not_in,
    "either": either,
    "move_take": move_take,
    "move_take_move": move_take_move,
    "idle": idle,
    "stay": stay,
    "leave_for": leave_for,
    "move_move": move_move,
    "take_give": take_give,
    "take_move_drop": take_move_drop,
    "relation": relation,
    "take_move": take_move,
    "drop_move": drop_move,
    "two_moves": two_moves,
    "together": together,
}


def happen(world: World, narrator: Narrator, rng: random.Random, weights: dict[str, float], language: Language) -> bool:
    """One statement of a drawn kind, if it can happen now."""
    kind = rng.choices(list(weights), list(weights.values()))[0]
    return WRITERS[kind](Scene(world, narrator, rng, language, rng.choice(world.people)))
