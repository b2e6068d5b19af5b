"""Statements and questions for the service benchmarks: bAbI-style events about many entities.

A bank of n statements mentions about n / 50 people, n / 200 places and n / 100 objects, so a
person is mentioned some 50 times whatever the size, as in a real memory where more statements
mean more things to talk about. The names are made up: the model knows them only as unseen words.
"""

from __future__ import annotations

import random

SYLLABLES = ["ka", "lo", "mi", "ra", "te", "no", "vu", "si", "de", "ba", "zu", "fe", "go", "pi", "ye", "xo"]
VERBS_TO = ["went to", "journeyed to", "travelled to", "moved to"]


def _name(i: int, prefix: str) -> str:
    parts = []
    while True:
        parts.append(SYLLABLES[i % len(SYLLABLES)])
        i //= len(SYLLABLES)
        if i == 0:
            break
    return prefix + "".join(parts)


def statements(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    people = [_name(i, "p").capitalize() for i in range(max(4, n // 50))]
    places = [_name(i, "l") for i in range(max(4, n // 200))]
    things = [_name(i, "o") for i in range(max(4, n // 100))]
    out = []
    for _ in range(n):
        person = rng.choice(people)
        if rng.random() < 0.7:
            out.append(f"{person} {rng.choice(VERBS_TO)} the {rng.choice(places)}.")
        else:
            out.append(f"{person} {rng.choice(['picked up', 'dropped'])} the {rng.choice(things)}.")
    return out


def questions(bank: list[str], count: int, seed: int = 1) -> list[str]:
    """Questions "Where is X?" about people mentioned in the bank, recent ones and old ones alike."""
    rng = random.Random(seed)
    return [f"Where is {rng.choice(bank).split()[0]}?" for _ in range(count)]
