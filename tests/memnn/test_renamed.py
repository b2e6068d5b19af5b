import random

from app.memnn.babi import parse_lines
from app.memnn.renamed import ENTITIES, nonword, rename
from app.memnn.text import tokenize

LINES = [
    "1 Mary moved to the bathroom.",
    "2 John went to the hallway.",
    "3 Where is Mary? \tbathroom\t1",
    "4 Mary took the apple there.",
    "5 What is Mary carrying? \tapple\t4",
    "1 Mary went to the kitchen.",
    "2 Where is Mary? \tkitchen\t1",
]


def test_every_entity_is_renamed_consistently_within_a_story():
    questions = parse_lines(LINES, task=1)
    renamed = rename(questions, forbidden={"went", "moved"}, seed=3)
    first, second, other = renamed
    assert first.statements == second.statements[:2]
    mary = first.question.split()[-1].rstrip("?")
    assert mary[0].isupper() and mary.lower() not in ENTITIES
    assert first.statements[0].startswith(f"{mary} moved to the ")
    assert first.answer == first.statements[0].split()[-1].rstrip(".")
    assert second.answer in second.statements[2]
    for q in renamed:
        words = {w for text in (*q.statements, q.question, q.answer) for w in tokenize(text)}
        assert not words & ENTITIES
    assert [q.supporting for q in renamed] == [q.supporting for q in questions]


def test_new_words_avoid_the_forbidden_ones():
    rng = random.Random(0)
    forbidden = {nonword(random.Random(0), set())}
    assert nonword(rng, set(forbidden)) not in forbidden
