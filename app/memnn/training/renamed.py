"""Renamed bAbI stories: every person, place and object replaced, story by story, by a word
that no training file contains — the test of answering about things the model never saw."""

from __future__ import annotations

import random
import re
from dataclasses import replace

from ..text import Vocabulary, answer_items, tokenize
from .babi import Question

PERSONS = ["mary", "john", "sandra", "daniel", "fred", "julie", "bill", "jeff", "lily", "julius", "greg", "brian",
           "bernhard", "jason", "antoine", "sumit", "yann", "winona", "emily", "gertrude", "jessica"]  # fmt: skip
PLACES = ["bathroom", "bedroom", "garden", "hallway", "kitchen", "office", "cinema", "park", "school"]
OBJECTS = ["apple", "football", "milk"]
ENTITIES = set(PERSONS) | set(PLACES) | set(OBJECTS)

_ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "kr", "tr", "zh"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ou"]
_WORD = re.compile(r"[A-Za-z]+")


def nonword(rng: random.Random, taken: set[str]) -> str:
    """A pronounceable word of three syllables that is not in ``taken`` (then added to it)."""
    while True:
        word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(3))
        if word not in taken:
            taken.add(word)
            return word


def rename_story(questions: list[Question], rng: random.Random, forbidden: set[str]) -> list[Question]:
    """One story's questions with every entity renamed consistently; capitals are kept."""
    names: dict[str, str] = {}
    taken = set(forbidden)

    def new_name(word: str) -> str:
        key = word.lower()
        if key not in ENTITIES:
            return word
        if key not in names:
            names[key] = nonword(rng, taken)
        renamed = names[key]
        return renamed.capitalize() if word[0].isupper() else renamed

    def rewrite(text: str) -> str:
        return _WORD.sub(lambda match: new_name(match.group(0)), text)

    return [
        replace(
            q,
            statements=tuple(rewrite(s) for s in q.statements),
            question=rewrite(q.question),
            answer=",".join(new_name(part) for part in q.answer.split(",")),
        )
        for q in questions
    ]


def rename(questions: list[Question], forbidden: set[str], seed: int = 0) -> list[Question]:
    """Every story renamed on its own (stories are runs of one task's questions with one story id)."""
    rng = random.Random(seed)
    out: list[Question] = []
    story: list[Question] = []
    for q in questions:
        if story and (q.task, q.story_id) != (story[0].task, story[0].story_id):
            out += rename_story(story, rng, forbidden)
            story = []
        story.append(q)
    if story:
        out += rename_story(story, rng, forbidden)
    return out


def rename_some(questions: list[Question], rate: float, vocabulary: Vocabulary, rng: random.Random) -> list[Question]:
    """Training data for unseen words (the paper's dropout-like trick): a ``rate`` share of the
    questions get their people, places and objects renamed to words outside the vocabulary.
    A question whose renamed answer has a word neither in the vocabulary nor in its supporting facts
    (so R could not read it from the memories it uses) stays as it was."""
    if not rate:
        return questions
    forbidden = set(vocabulary.words)
    out = []
    for q in questions:
        if rng.random() < rate:
            renamed = rename_story([q], rng, forbidden)[0]
            facts = {token for i in renamed.supporting for token in tokenize(renamed.statements[i])}
            if all(item in vocabulary or item in facts for item in answer_items(renamed.answer)):
                q = renamed
        out.append(q)
    return out
