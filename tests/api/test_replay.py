"""bAbI test stories through the REST API, one fresh bank per story, against the offline model."""

import pytest

from app.memnn.text import PAD_ID
from app.memnn.training.babi import encode_questions, load_task
from app.memnn.training.evaluate import predict

from ..conftest import BABI_DIR

STORIES_PER_TASK = 3


@pytest.mark.slow
def test_api_answers_equal_the_offline_model(client, shipped_checkpoint):
    questions = [
        q for task in range(1, 21) for q in load_task(BABI_DIR / "en", task, "test") if q.story_id < STORIES_PER_TASK
    ]
    examples = encode_questions(questions, shipped_checkpoint.vocabulary)
    offline = predict(shipped_checkpoint.model, shipped_checkpoint.vocabulary, examples)
    written: dict[str, int] = {}
    for question, expected in zip(questions, offline, strict=True):
        bank = f"t{question.task}-s{question.story_id}"
        new = list(question.statements[written.get(bank, 0) :])
        if new:
            assert client.post("/memories", json={"bank": bank, "statements": new}).status_code == 201
            written[bank] = len(question.statements)
        body = client.post("/ask", json={"bank": bank, "question": question.question}).json()
        if expected.answer_match != PAD_ID:  # offline R chose a word outside the vocabulary: so must the API
            assert body["answer"] not in shipped_checkpoint.vocabulary, (question, body)
        else:
            assert body["answer"] == shipped_checkpoint.vocabulary.words[expected.answer], (question, body)
        positions = [e["position"] for e in body["evidence"]]
        assert positions == expected.supporting, (question, body)
