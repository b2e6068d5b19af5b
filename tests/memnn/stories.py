"""Tiny handmade stories in the bAbI format, generated so tests never read the data set."""

from __future__ import annotations

import random

from app.memnn.training.babi import Question

PEOPLE = ["mary", "john", "sandra", "daniel"]
PLACES = ["kitchen", "garden", "office", "hallway"]


def where_is_stories(count: int, seed: int, moves: int = 4) -> list[Question]:
    """Stories of people moving about, each ending in "Where is X?" answered by X's latest move."""
    rng = random.Random(seed)
    questions = []
    for story_id in range(count):
        statements: list[str] = []
        last_move: dict[str, int] = {}
        for _ in range(moves):
            person, place = rng.choice(PEOPLE), rng.choice(PLACES)
            last_move[person] = len(statements)
            statements.append(f"{person.title()} went to the {place}.")
        person = rng.choice(sorted(last_move))
        answer = statements[last_move[person]].rstrip(".").split()[-1]
        questions.append(
            Question(1, story_id, tuple(statements), f"Where is {person.title()}?", answer, (last_move[person],))
        )
    return questions
