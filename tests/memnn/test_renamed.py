import random

import pytest

from app.memnn.text import tokenize
from app.memnn.training.babi import parse_lines
from app.memnn.training.renamed import ENTITIES, nonword, rename

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


@pytest.mark.slow  # trains a model
def test_training_with_renamed_entities_answers_with_unseen_words():
    from app.memnn.training.babi import encode_questions
    from app.memnn.training.evaluate import predict
    from app.memnn.training.train import TrainConfig, train

    from .stories import where_is_stories

    config = TrainConfig(epochs=6, seed=2, batch_size=16, rename_rate=0.5)
    result = train(where_is_stories(300, seed=0), {"dim": 16, "hidden": 32}, config, log=lambda _: None)
    held_out = rename(where_is_stories(60, seed=42), forbidden=set(result.vocabulary.words), seed=5)
    assert all(q.answer not in result.vocabulary for q in held_out)
    examples = encode_questions(held_out, result.vocabulary)
    predictions = predict(result.model, result.vocabulary, examples, beam=1)
    right = sum(p.is_right(e) for p, e in zip(predictions, examples, strict=True))
    right_fact = sum(p.supporting[:1] == e.supporting for p, e in zip(predictions, examples, strict=True))
    assert right_fact >= 55 and right >= 55, (right_fact, right)
