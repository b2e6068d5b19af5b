"""The words of the simulated world: who and what is in it, and the ways each event and question is said.

Two kinds of word live here. Entity pools (people, places, objects) are drawn from by the simulator
and, for training, are words the model need not know: a trained model meets most names as unseen
words, matched exactly and answered by where they occur. The phrasings (verbs, question forms,
time markers) are the language a model must learn; ``function_words`` lists their tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from ..text import tokenize

# -- who and what ------------------------------------------------------------------------

WOMEN = [
    "Mary", "Sandra", "Julie", "Anne", "Aisha", "Mei", "Olga", "Priya", "Fatima", "Ingrid", "Lucia", "Chloe",
    "Yuki", "Amara", "Nadia", "Sofia", "Keiko", "Zanele", "Ofelia", "Greta", "Hana", "Leila", "Rosa", "Tamar",
    "Beatriz", "Astrid", "Noor", "Esi", "Marta", "Ines", "Lena", "Ruth", "Camille", "Dalia", "Freya", "Wanjiru",
]  # fmt: skip
MEN = [
    "John", "Daniel", "Fred", "Bill", "Joe", "Jeff", "Omar", "Kenji", "Ivan", "Ravi", "Pedro", "Lars", "Tariq",
    "Mateo", "Kwame", "Dmitri", "Hugo", "Arjun", "Felix", "Tomas", "Yusuf", "Bilbo", "Frodo", "Gollum", "Sam",
    "Chen", "Marco", "Emil", "Bruno", "Kofi", "Nikos", "Rafael", "Sven", "Idris", "Oskar", "Wei", "Luis",
]  # fmt: skip
ROOMS = [
    "kitchen", "bathroom", "bedroom", "hallway", "garden", "office", "cellar", "attic", "garage", "study",
    "library", "pantry", "porch", "balcony", "basement", "laundry",
]  # fmt: skip
PLACES = [
    "park", "school", "cinema", "market", "station", "museum", "bakery", "harbour", "beach", "church", "bank",
    "hospital", "airport", "café", "gym", "pharmacy", "stadium", "farm", "forest", "cave", "river",
]  # fmt: skip
NAMED_PLACES = [
    "Mount-Doom", "Grey-havens", "Shire", "Rivendell", "Paris", "Lagos", "Kyoto", "New-York", "Cape-Town",
    "Oslo", "Lima", "Hanoi", "Tir-na-nOg", "Camelot", "Atlantis", "Sao-Paulo", "Port-Louis", "Ouagadougou",
]  # fmt: skip
OBJECTS = [
    "milk", "apple", "football", "ring", "book", "key", "umbrella", "laptop", "phone", "cup", "bag", "hat",
    "letter", "wallet", "camera", "guitar", "lamp", "map", "sword", "bottle", "box", "torch", "coin", "scarf",
    "basket", "ticket", "knife", "spoon", "candle", "parcel", "bread", "violin", "notebook", "jar", "shell",
]  # fmt: skip


def syllable_name(rng, capitalised: bool = True) -> str:  # type: ignore[no-untyped-def]
    """A made-up word: names a model has surely never seen."""
    onsets = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "kr", "tr", "zh"]
    word = "".join(rng.choice(onsets) + rng.choice(["a", "e", "i", "o", "u", "ai", "ou"]) for _ in range(3))
    return word.capitalize() if capitalised else word


# -- how events are said -------------------------------------------------------------------
# {p}, {q}: people; {o}: an object; {l}: a place with its article ("the kitchen", "Mount-Doom").

MOVE = [
    "{p} went to {l}", "{p} moved to {l}", "{p} travelled to {l}", "{p} journeyed to {l}", "{p} went back to {l}",
    "{p} walked to {l}", "{p} ran to {l}", "{p} headed to {l}", "{p} strolled to {l}", "{p} returned to {l}",
    "{p} wandered into {l}", "{p} hurried to {l}", "{p} popped into {l}", "{p} arrived at {l}", "{p} made it to {l}",
    "{p} drove to {l}", "{p} dashed to {l}", "{p} came to {l}", "{p} went over to {l}", "{p} traveled to {l}",
    "{p} is in {l}", "{p} is now in {l}", "{p} went into {l}", "{p} rushed to {l}", "{p} sneaked into {l}",
]  # fmt: skip
TAKE = [
    "{p} picked up {o}", "{p} took {o}", "{p} grabbed {o}", "{p} got {o}", "{p} collected {o}",
    "{p} fetched {o}", "{p} picked {o} up", "{p} took {o} there", "{p} got {o} there", "{p} grabbed {o} there",
    "{p} lifted {o}", "{p} snatched {o}", "{p} took hold of {o}", "{p} picked up {o} there", "{p} found {o}",
]  # fmt: skip
DROP = [
    "{p} dropped {o}", "{p} put down {o}", "{p} left {o}", "{p} discarded {o}", "{p} set down {o}",
    "{p} put {o} down", "{p} left {o} there", "{p} dropped {o} there", "{p} threw away {o}", "{p} let go of {o}",
    "{p} put {o} on the floor", "{p} set {o} down", "{p} abandoned {o}", "{p} placed {o} there",
]  # fmt: skip
GIVE = [
    "{p} gave {o} to {q}", "{p} handed {o} to {q}", "{p} passed {o} to {q}", "{p} gave {q} {o}",
    "{p} handed {q} {o}", "{q} received {o} from {p}", "{p} passed {q} {o}", "{q} got {o} from {p}",
    "{p} brought {o} to {q}", "{q} took {o} from {p}", "{p} offered {o} to {q}", "{p} lent {o} to {q}",
]  # fmt: skip
NOT_IN = [
    "{p} is no longer in {l}", "{p} is not in {l}", "{p} is not in {l} anymore", "{p} is no longer at {l}",
    "{p} isn't in {l} anymore", "{p} isn't in {l}", "{p} has left {l}",
]  # fmt: skip
EITHER = [
    "{p} is either in {l} or {m}", "{p} is in {l} or {m}", "{p} is either at {l} or at {m}",
    "{p} might be in {l} or in {m}", "{p} is in {l} or maybe {m}",
]  # fmt: skip
MOVE_TAKE = ["{p} went to {l} and picked up {o}", "{p} went to {l} and took {o}", "{p} walked into {l} and grabbed {o}",
             "{p} travelled to {l}, then got {o}", "{p} went to {l} and then picked up {o}"]  # fmt: skip
TAKE_MOVE = ["{p} picked up {o} and went to {l}", "{p} took {o} and walked to {l}", "{p} grabbed {o}, then ran to {l}",
             "{p} took {o} to {l}", "{p} carried {o} to {l}", "{p} brought {o} to {l}"]  # fmt: skip
DROP_MOVE = ["{p} dropped {o} and went to {l}", "{p} left {o} and walked to {l}", "{p} put down {o}, then went to {l}"]
TWO_MOVES = ["{p} went to {l} and {q} went to {m}", "{p} moved to {l} while {q} travelled to {m}",
             "{p} walked to {l}, and {q} headed to {m}"]  # fmt: skip
TOGETHER = ["{p} and {q} went to {l}", "{p} and {q} travelled to {l}", "{p} and {q} moved to {l}",
            "{p} and {q} walked to {l} together"]  # fmt: skip
THEY_MOVE = ["Then they went to {l}", "After that they travelled to {l}", "Afterwards they walked to {l}",
             "They went to {l}", "Then they both moved to {l}"]  # fmt: skip
CONNECTIVES = ["Then", "After that", "Afterwards", "Later", "Next", "Then,", "Later on,", "Soon after,"]
CLOCK = ["At {h} am,", "At {h}:{m} am,", "At {h} pm,", "Around {h} pm,", "At {h}:{m},", "At {h} o'clock,"]
DAY_PARTS = [
    ("yesterday", ["yesterday", "Yesterday"]),
    ("this morning", ["this morning", "This morning", "in the morning"]),
    ("this afternoon", ["this afternoon", "This afternoon", "in the afternoon"]),
    ("this evening", ["this evening", "This evening", "in the evening", "tonight"]),
]

# -- how questions are asked -----------------------------------------------------------------

WHERE_PERSON = [
    "Where is {p}?", "Where's {p}?", "Where is {p} now?", "Which room is {p} in?", "Where can I find {p}?",
    "Can you tell me where {p} is?", "Any idea where {p} is?", "where is {p}", "In which place is {p}?",
    "Where is {p} at the moment?", "What place is {p} in?", "Where did {p} go?", "Where's {p} now",
    "Do you know where {p} is?", "Where is {p} right now?", "Where would I find {p}?", "Where has {p} gone?",
]  # fmt: skip
WHERE_OBJECT = [
    "Where is {o}?", "Where's {o}?", "Where is {o} now?", "Where can I find {o}?", "Which room is {o} in?",
    "Where did {o} end up?", "Where is {o} at the moment?", "where is {o}", "Any idea where {o} is?",
    "Can you tell me where {o} is?", "Where's {o} now?", "Where would I find {o}?", "Where has {o} gone?",
]  # fmt: skip
WHERE_BEFORE_PERSON = ["Where was {p} before {l}?", "Where was {p} before going to {l}?",
                       "Where had {p} been before {l}?", "Before {l}, where was {p}?",
                       "Where was {p} just before {l}?"]  # fmt: skip
WHERE_BEFORE_OBJECT = ["Where was {o} before {l}?", "Where had {o} been before {l}?", "Before {l}, where was {o}?"]
WHO_HAS = ["Who has {o}?", "Who's got {o}?", "Who is holding {o}?", "Who is carrying {o}?", "Who has got {o} now?",
           "Who's holding {o}?", "who has {o}", "Who has {o} now?", "Who is in possession of {o}?"]  # fmt: skip
DOES_HAVE = ["Does {p} have {o}?", "Is {p} holding {o}?", "Has {p} got {o}?", "Is {p} carrying {o}?",
             "Does {p} still have {o}?", "Is {o} with {p}?", "does {p} have {o}"]  # fmt: skip
CARRYING = [
    "What is {p} carrying?",
    "What is {p} holding?",
    "What does {p} have?",
    "What's {p} carrying?",
    "What has {p} got?",
    "What is {p} carrying now?",
    "What's {p} holding?",
    "What does {p} have with them?",
]
HOW_MANY = [
    "How many objects is {p} carrying?",
    "How many things is {p} holding?",
    "How many items does {p} have?",
    "How many things has {p} got?",
    "How many objects does {p} have?",
    "How many things is {p} carrying?",
]
WHO_GAVE = ["Who gave {o} to {q}?", "Who handed {o} to {q}?", "Who gave {q} {o}?", "Who passed {o} to {q}?"]
WHAT_GAVE = ["What did {p} give to {q}?", "What did {p} hand to {q}?", "What did {p} give {q}?",
             "What did {p} pass to {q}?"]  # fmt: skip
GAVE_TO = ["Who did {p} give {o} to?", "To whom did {p} give {o}?", "Who did {p} hand {o} to?",
           "Who got {o} from {p}?"]  # fmt: skip
WHO_GAVE_ANY = ["Who gave {o}?", "Who handed over {o}?", "Who gave away {o}?"]
WHO_RECEIVED = ["Who received {o}?", "Who was given {o}?", "Who got {o}?"]
IS_IN = ["Is {p} in {l}?", "Is {p} at {l}?", "Is {p} still in {l}?", "Is {p} in {l} right now?", "is {p} in {l}"]
IS_OBJECT_IN = ["Is {o} in {l}?", "Is {o} still in {l}?", "Is {o} at {l}?"]
WHO_IS_IN = ["Who is in {l}?", "Who's in {l}?", "Who is at {l}?", "Who is in {l} now?", "Who is in {l} right now?"]
WHERE_AT_TIME = ["Where was {p} {t}?", "Where did {p} go {t}?", "{t}, where was {p}?"]


def function_words() -> list[str]:
    """Every token of the phrasings: the language a model trained on this world knows by name."""
    phrasings = [
        MOVE, TAKE, DROP, GIVE, NOT_IN, EITHER, MOVE_TAKE, TAKE_MOVE, DROP_MOVE, TWO_MOVES, TOGETHER, THEY_MOVE,
        CONNECTIVES, CLOCK, WHERE_PERSON, WHERE_OBJECT, WHERE_BEFORE_PERSON, WHERE_BEFORE_OBJECT, WHO_HAS,
        DOES_HAVE, CARRYING, HOW_MANY, WHO_GAVE, WHAT_GAVE, GAVE_TO, WHO_GAVE_ANY, WHO_RECEIVED, IS_IN,
        IS_OBJECT_IN, WHO_IS_IN, WHERE_AT_TIME,
    ]  # fmt: skip
    words: dict[str, None] = {}
    for group in phrasings:
        for phrase in group:
            for token in tokenize(phrase):
                if token not in ("p", "q", "o", "l", "m", "h", "t"):
                    words.setdefault(token, None)
    for _, variants in DAY_PARTS:
        for variant in variants:
            for token in tokenize(variant):
                words.setdefault(token, None)
    for token in ["the", "he", "she", "it", "they", "them", "yes", "no", "maybe", "nothing", "none", *NUMBERS]:
        words.setdefault(token, None)
    return list(words)


NUMBERS = ["none", "one", "two", "three", "four", "five", "six"]


@dataclass(frozen=True)
class Language:
    """The phrasings a family of stories is told in."""

    move_take: list[str]
    take_move: list[str]
    drop_move: list[str]
    two_moves: list[str]
    together: list[str]
    they_move: list[str]
    move: list[str]
    take: list[str]
    drop: list[str]
    give: list[str]
    not_in: list[str]
    either: list[str]
    where_person: list[str]
    where_object: list[str]
    where_before_person: list[str]
    where_before_object: list[str]
    who_has: list[str]
    does_have: list[str]
    carrying: list[str]
    how_many: list[str]
    who_gave_any: list[str]
    who_gave: list[str]
    what_gave: list[str]
    gave_to: list[str]
    who_received: list[str]
    is_object_in: list[str]
    is_in: list[str]
    who_is_in: list[str]
    where_at_time: list[str]


EVERYDAY = Language(**{field.name: globals()[field.name.upper()] for field in fields(Language)})
# the paper's world is told plainly: a few verbs of motion, one way to ask each question
PLAIN = replace(
    EVERYDAY,
    move=["{p} went to {l}", "{p} travelled to {l}", "{p} moved to {l}", "{p} journeyed to {l}"],
    take=["{p} picked up {o}", "{p} got {o}", "{p} took {o}"],
    drop=["{p} dropped {o}", "{p} left {o}", "{p} put down {o}"],
    where_person=["Where is {p}?"],
    where_object=["Where is {o}?"],
    where_before_person=["Where was {p} before {l}?"],
)
