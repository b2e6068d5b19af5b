"""The words of the simulated world: who and what is in it, and the ways each event and question is said.

Two kinds of word live here. Entity pools (people, places, objects) are drawn from by the simulator
and, for training, are words the model need not know: a trained model meets most names as unseen
words, matched exactly and answered by where they occur. The phrasings (verbs, question forms,
time markers) are the language a model must learn; ``function_words`` lists their tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from ...text import tokenize

# -- who and what ------------------------------------------------------------------------

WOMEN = [
    "Mary", "Sandra", "Julie", "Anne", "Aisha", "Mei", "Olga", "Priya", "Fatima", "Ingrid", "Lucia", "Chloe",
    "Yuki", "Amara", "Nadia", "Sofia", "Keiko", "Zanele", "Ofelia", "Greta", "Hana", "Leila", "Rosa", "Tamar",
    "Beatriz", "Astrid", "Noor", "Esi", "Marta", "Ines", "Lena", "Ruth", "Camille", "Dalia", "Freya", "Wanjiru",
]  # fmt: skip
MEN = [
    "John", "Daniel", "Fred", "Bill", "Joe", "Jeff", "Omar", "Kenji", "Ivan", "Ravi", "Pedro", "Lars", "Tariq",
    "Mateo", "Kwame", "Dmitri", "Hugo", "Arjun", "Felix", "Tomas", "Yusuf", "Abel", "Jonas", "Kenta", "Sami",
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
    "Mount-Kenya", "Blue-harbour", "Fenwick", "Brightwater", "Paris", "Lagos", "Kyoto", "New-York", "Cape-Town",
    "Oslo", "Lima", "Hanoi", "Tir-na-nOg", "Camelot", "Atlantis", "Sao-Paulo", "Port-Louis", "Ouagadougou",
]  # fmt: skip
OBJECTS = [
    "milk", "apple", "football", "ring", "book", "key", "umbrella", "laptop", "phone", "cup", "bag", "hat",
    "letter", "wallet", "camera", "guitar", "lamp", "map", "sword", "bottle", "box", "torch", "coin", "scarf",
    "basket", "ticket", "knife", "spoon", "candle", "parcel", "bread", "violin", "notebook", "jar", "shell",
    "keys", "glasses", "scissors", "gloves", "shoes", "papers",
]  # fmt: skip
PLURAL = {"keys", "glasses", "scissors", "gloves", "shoes", "papers"}  # "the keys are", "took them"


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
    "{p} flew to {l}", "{p} sailed to {l}", "{p} rode to {l}", "{p} cycled to {l}", "{p} was in {l}",
    "{p} is at {l}", "{p} headed over to {l}", "{p} made their way to {l}", "{p} went straight to {l}",
    "{p} finally got to {l}", "{p} quickly went to {l}", "{p} ended up in {l}", "{p} went off to {l}",
    "{p} has gone to {l}", "{p} went home to {l}", "{p} stepped into {l}", "{p} crossed over to {l}",
    "{p} went down to {l}", "{p} went up to {l}", "{p} fled to {l}", "{p} arrives at {l}", "{p} travels to {l}",
    "{p} goes to {l}", "{p} walks to {l}", "{p} heads to {l}", "{p} moves to {l}", "{p} runs to {l}",
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
MOVE_TAKE_MOVE = ["{p} went to {l}, took {o} and walked to {m}", "{p} went to {l}, picked up {o} and then went to {m}",
                  "{p} went to {l}, grabbed {o}, and headed to {m}",
                  "{p} walked into {l}, got {o} and went on to {m}"]  # fmt: skip
STAY = ["{p} stayed in {l}", "{p} was still in {l}", "{p} remained at {l}", "{p} was already at {l}",
        "{p} is still in {l}", "{p} stayed behind in {l}", "{p} waited in {l}"]  # fmt: skip
LEAVE_FOR = [
    "{p} left {l} for {m}",
    "{p} leaves {l} for {m}",
    "{p} left {l} and went to {m}",
    "{p} went from {l} to {m}",
]
MOVE_MOVE = ["{p} went to {l} and then to {m}", "{p} went to {l}, then on to {m}",
             "{p} went to {l} and from there to {m}",
             "{p} travelled to {l} and later to {m}"]  # fmt: skip
TAKE_GIVE = ["{p} grabbed {o} and handed it to {q}", "{p} picked up {o} and gave it to {q}",
             "{p} took {o} and passed it to {q}"]  # fmt: skip
TAKE_MOVE_DROP = ["{p} took {o}, then went to {l} and put it down",
                  "{p} picked up {o}, walked to {l} and dropped it there",
                  "{p} carried {o} to {l} and left it there"]  # fmt: skip
DROP_MOVE = ["{p} dropped {o} and went to {l}", "{p} left {o} and walked to {l}", "{p} put down {o}, then went to {l}"]
TWO_MOVES = ["{p} went to {l} and {q} went to {m}", "{p} moved to {l} while {q} travelled to {m}",
             "{p} walked to {l}, and {q} headed to {m}"]  # fmt: skip
TOGETHER = ["{p} and {q} went to {l}", "{p} and {q} travelled to {l}", "{p} and {q} moved to {l}",
            "{p} and {q} walked to {l} together"]  # fmt: skip
THEY_MOVE = ["Then they went to {l}", "After that they travelled to {l}", "Afterwards they walked to {l}",
             "They went to {l}", "Then they both moved to {l}"]  # fmt: skip
RELATION = ["{l} is {d} of {m}", "{l} lies {d} of {m}", "{l} is to the {d} of {m}", "{l} is just {d} of {m}"]
CONNECTIVES = ["Then", "After that", "Afterwards", "Later", "Next", "Then,", "Later on,", "Soon after,", "Meanwhile,",
               "Eventually", "A bit later,", "Shortly afterwards,"]  # fmt: skip
# time markers, in the order of the story: {h} an hour (7 to 11, then on into the afternoon as 1 to 6 pm),
# {m} minutes, {d} a day of the week
CLOCK = ["At {h} {ap},", "At {h}:{m} {ap},", "Around {h} {ap},", "At {h}:{m},", "At {h} o'clock,", "At {h}{ap}",
         "At {h}{ap},", "At {h}:{m}", "By {h} {ap},", "At about {h},"]  # fmt: skip
CLOCK_AFTER = [" at {h}{ap}", " at {h} {ap}", " at {h}:{m}", " around {h} o'clock"]  # at a statement's end
WEEKDAY = ["On {d},", "On {d}", "Last {d},", "That {d},"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# statements that change nothing anyone asks about
IDLE = ["{p} is happy", "{p} is busy", "{p} smiled", "{p} fell asleep", "{p} yawned", "{p} laughed", "{p} sat down",
        "{p} waited for a while", "{p} made some tea", "{p} said hello to {q}", "{p} waved at {q}", "{p} called {q}",
        "{p} looked around", "{p} sang a song", "{p} was happy", "{p} sneezed", "{p} thought about {q}"]  # fmt: skip
SCENERY = ["It started to rain", "The phone rang", "The sun came out", "It got dark", "The old king died", "The End",
           "Nothing happened for a while", "A dog barked", "The clock struck twelve"]  # fmt: skip
ADJECTIVES = ["red", "old", "small", "blue", "heavy", "new", "green", "silver", "little", "wooden", "black",
              "shiny", "big", "yellow", "golden", "brown"]  # fmt: skip
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]  # fmt: skip


def _hour(hour: int) -> tuple[str, str]:
    return str(hour if hour <= 12 else hour - 12), "am" if hour < 12 else "pm"


# Calendars: the times a story may say when things happened, in order; each time as its question says
# it and the ways a statement may say it (mid-sentence: "on Monday"; the narrator capitalises an opening).
CALENDARS: dict[str, list[tuple[str, list[str]]]] = {
    "day": [
        ("yesterday", ["yesterday"]),
        ("this morning", ["this morning", "in the morning"]),
        ("this afternoon", ["this afternoon", "in the afternoon"]),
        ("this evening", ["this evening", "in the evening", "tonight"]),
    ],
    "two days": [
        ("yesterday morning", ["yesterday morning"]),
        ("yesterday afternoon", ["yesterday afternoon"]),
        ("yesterday evening", ["yesterday evening", "last night"]),
        ("this morning", ["this morning", "earlier today"]),
        ("this afternoon", ["this afternoon", "at lunchtime"]),
        ("this evening", ["this evening", "tonight"]),
    ],
    "week": [(f"on {day}", [f"on {day}", f"last {day}"]) for day in DAYS],
    "clock": [
        (f"at {h}{ap}", [f"at {h}{ap}", f"at {h} {ap}", f"at {hour}:00"])
        for hour, (h, ap) in zip(range(7, 19), map(_hour, range(7, 19)), strict=True)
    ],
    "month": [(f"in {month}", [f"in {month}", f"back in {month}"]) for month in MONTHS],
}

# -- how questions are asked -----------------------------------------------------------------

WHERE_PERSON = [
    "Where is {p}?", "Where's {p}?", "Where is {p} now?", "Which room is {p} in?", "Where can I find {p}?",
    "Can you tell me where {p} is?", "Any idea where {p} is?", "where is {p}", "In which place is {p}?",
    "Where is {p} at the moment?", "What place is {p} in?", "Where did {p} go?", "Where's {p} now",
    "Do you know where {p} is?", "Where is {p} right now?", "Where would I find {p}?", "Where has {p} gone?",
    "Where is {p} currently?", "Where did {p} end up?", "Where's {p} gone?", "Tell me where {p} is.",
    "What room is {p} in?", "Where is {p} located?", "Where is {p} these days?", "So where is {p}?",
]  # fmt: skip
WHERE_OBJECT = [
    "Where is {o}?", "Where's {o}?", "Where is {o} now?", "Where can I find {o}?", "Which room is {o} in?",
    "Where did {o} end up?", "Where is {o} at the moment?", "where is {o}", "Any idea where {o} is?",
    "Can you tell me where {o} is?", "Where's {o} now?", "Where would I find {o}?", "Where has {o} gone?",
    "Where is {o} located?", "What room is {o} in?", "Tell me where {o} is.", "Where is {o} right now?",
    "Where is {o} currently?", "Where did {o} go?", "So where is {o}?",
]  # fmt: skip
WHERE_BEFORE_PERSON = ["Where was {p} before {l}?", "Where was {p} before going to {l}?",
                       "Where had {p} been before {l}?", "Before {l}, where was {p}?",
                       "Where was {p} just before {l}?",
    "Where did {p} go before {l}?", "Before going to {l}, where was {p}?",
    "Where was {p} before they went to {l}?", "Where had {p} been just before {l}?",
]  # fmt: skip
WHERE_BEFORE_OBJECT = ["Where was {o} before {l}?", "Where had {o} been before {l}?", "Before {l}, where was {o}?"]
WHO_HAS = ["Who has {o}?", "Who's got {o}?", "Who is holding {o}?", "Who is carrying {o}?", "Who has got {o} now?",
           "Who's holding {o}?", "who has {o}", "Who has {o} now?", "Who is in possession of {o}?",
    "Who has {o} right now?", "Which person has {o}?", "Who is now holding {o}?", "Who's carrying {o}?",
    "Who currently has {o}?", "Do you know who has {o}?",
]  # fmt: skip
DOES_HAVE = ["Does {p} have {o}?", "Is {p} holding {o}?", "Has {p} got {o}?", "Is {p} carrying {o}?",
             "Does {p} still have {o}?", "Is {o} with {p}?", "does {p} have {o}",
    "Is {p} still carrying {o}?", "Does {p} have {o} now?", "Has {p} still got {o}?",
    "Is {p} holding {o} right now?", "Does {p} currently have {o}?",
]  # fmt: skip
CARRYING = [
    "What is {p} carrying?",
    "What is {p} holding?",
    "What does {p} have?",
    "What's {p} carrying?",
    "What has {p} got?",
    "What is {p} carrying now?",
    "What's {p} holding?",
    "What does {p} have with them?",
    "What is {p} holding right now?",
    "What objects does {p} have?",
    "What things is {p} carrying?",
    "What's {p} got?",
    "What does {p} have now?",
    "What is {p} carrying at the moment?",
]
HOW_MANY = [
    "How many objects is {p} carrying?",
    "How many things is {p} holding?",
    "How many items does {p} have?",
    "How many things has {p} got?",
    "How many objects does {p} have?",
    "How many things is {p} carrying?",
    "How many things does {p} have?",
    "How many objects is {p} holding?",
    "How many items is {p} carrying?",
    "How many things is {p} holding now?",
    "How many objects has {p} got?",
]
WHO_GAVE = ["Who gave {o} to {q}?", "Who handed {o} to {q}?", "Who gave {q} {o}?", "Who passed {o} to {q}?",
            "Do you know who gave {o} to {q}?", "Do you know who gave {q} {o}?"]  # fmt: skip
WHAT_GAVE = ["What did {p} give to {q}?", "What did {p} hand to {q}?", "What did {p} give {q}?",
             "What did {p} pass to {q}?"]  # fmt: skip
GAVE_TO = ["Who did {p} give {o} to?", "To whom did {p} give {o}?", "Who did {p} hand {o} to?",
           "Who got {o} from {p}?"]  # fmt: skip
WHO_GAVE_ANY = ["Who gave {o}?", "Who handed over {o}?", "Who gave away {o}?"]
WHO_RECEIVED = ["Who received {o}?", "Who was given {o}?", "Who got {o}?"]
IS_IN = [
    "Is {p} in {l}?",
    "Is {p} at {l}?",
    "Is {p} still in {l}?",
    "Is {p} in {l} right now?",
    "is {p} in {l}",
    "Is {p} currently in {l}?",
    "Is {p} in {l} now?",
    "Is {p} at {l} now?",
    "Is {p} still at {l}?",
]
IS_OBJECT_IN = ["Is {o} in {l}?", "Is {o} still in {l}?", "Is {o} at {l}?"]
WHO_IS_IN = [
    "Do you know who is in {l}?",
    "Who is in {l}?",
    "Who's in {l}?",
    "Who is at {l}?",
    "Who is in {l} now?",
    "Who is in {l} right now?",
    "Who is currently in {l}?",
    "Which person is in {l}?",
    "Who's at {l}?",
    "Who is there in {l}?",
]
WHAT_IS_DIRECTION = ["What is {d} of {m}?", "What lies {d} of {m}?", "Which place is {d} of {m}?", "What's {d} of {m}?",
                     "What is to the {d} of {m}?"]  # fmt: skip
DIRECTION_OF_WHAT = ["What is {l} {d} of?", "What does {l} lie {d} of?", "What place is {l} {d} of?"]
WHERE_AT_TIME = ["Where was {p} {t}?", "Where did {p} go {t}?", "{t}, where was {p}?"]


def function_words() -> list[str]:
    """Every token of the phrasings: the language a model trained on this world knows by name."""
    phrasings = [
        MOVE, TAKE, DROP, GIVE, NOT_IN, EITHER, MOVE_TAKE, MOVE_TAKE_MOVE, TAKE_MOVE, DROP_MOVE, TWO_MOVES, TOGETHER,
        STAY, LEAVE_FOR, MOVE_MOVE, TAKE_GIVE, TAKE_MOVE_DROP,
        THEY_MOVE, CONNECTIVES, CLOCK, CLOCK_AFTER, WEEKDAY, DAYS, MONTHS, IDLE, SCENERY, ADJECTIVES,
        WHERE_PERSON, WHERE_OBJECT, WHERE_BEFORE_PERSON, WHERE_BEFORE_OBJECT, WHO_HAS,
        DOES_HAVE, CARRYING, HOW_MANY, WHO_GAVE, WHAT_GAVE, GAVE_TO, WHO_GAVE_ANY, WHO_RECEIVED, IS_IN,
        IS_OBJECT_IN, WHO_IS_IN, WHERE_AT_TIME, RELATION, WHAT_IS_DIRECTION, DIRECTION_OF_WHAT,
    ]  # fmt: skip
    words: dict[str, None] = {}
    for group in phrasings:
        for phrase in group:
            for token in tokenize(phrase):
                if token not in ("p", "q", "o", "l", "m", "h", "t", "d", "ap"):
                    words.setdefault(token, None)
    for calendar in CALENDARS.values():
        for _, variants in calendar:
            for variant in variants:
                for token in tokenize(variant):
                    words.setdefault(token, None)
    for hour in range(1, 13):
        for token in tokenize(f"{hour} {hour}am {hour}pm {hour}:15 {hour}:30 {hour}:45"):
            words.setdefault(token, None)
    for token in [
        "north",
        "south",
        "east",
        "west",
        "the",
        "he",
        "she",
        "it",
        "they",
        "them",
        "yes",
        "no",
        "maybe",
        "nothing",
        "none",
        *NUMBERS,
    ]:
        words.setdefault(token, None)
    return list(words)


NUMBERS = ["none", "one", "two", "three", "four", "five", "six"]


@dataclass(frozen=True)
class Language:
    """The phrasings a family of stories is told in."""

    move_take: list[str]
    move_take_move: list[str]
    stay: list[str]
    leave_for: list[str]
    move_move: list[str]
    take_give: list[str]
    take_move_drop: list[str]
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
    relation: list[str]
    what_is_direction: list[str]
    direction_of_what: list[str]
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
