import pytest
import torch

from app.memnn import checkpoint
from app.memnn.features import to_tensors
from app.memnn.model import MemNN, MemNNConfig, QuestionBatch, answer_candidates
from app.memnn.text import Vocabulary
from app.memnn.training.babi import Question, encode_questions
from app.memnn.training.evaluate import predict
from app.memnn.training.train import TrainConfig, train
from app.settings import PROJECT_ROOT

from .stories import where_is_stories

SMALL = {"dim": 16, "hidden": 32}
BABI_MODEL = PROJECT_ROOT / "models" / "memnn-babi-en.pt"


def _trained(seed: int = 3, epochs: int = 6):
    questions = where_is_stories(300, seed=0)
    return train(questions, SMALL, TrainConfig(epochs=epochs, seed=seed, batch_size=16), log=lambda _: None)


def test_shapes_of_hop_and_answer_scores():
    questions = where_is_stories(3, seed=1)
    vocabulary = Vocabulary(w for q in questions for s in (*q.statements, q.question, q.answer) for w in s.split())
    model = MemNN(MemNNConfig(vocab_size=len(vocabulary), **SMALL))
    batch = to_tensors(encode_questions(questions, vocabulary))
    memories = model.memory_batch(batch.memory_words, batch.memory_matches, batch.memory_mask)
    question = QuestionBatch(batch.question_words, batch.question_matches)
    n = batch.memory_mask.shape[1]
    assert memories.as_candidate.shape == (3, n, 16)
    hop = model.hop_scores(memories, question, torch.tensor([[0], [1], [2]]))
    assert hop.shape == (3, n + 1)
    assert torch.isinf(hop[0, 0]) and torch.isinf(hop[2, 2])  # a memory is never chosen twice
    candidates = answer_candidates(len(vocabulary))
    scores, sizes = model.answer_scores(memories, question, batch.supporting, candidates)
    assert scores.shape == (3, len(candidates)) and sizes.shape == (3, model.config.answer_sizes)


@pytest.mark.slow  # trains a model
def test_a_few_epochs_learn_to_pick_the_latest_fact_about_someone():
    result = _trained()
    held_out = where_is_stories(100, seed=99)
    examples = encode_questions(held_out, result.vocabulary)
    predictions = predict(result.model, result.vocabulary, examples)
    answered = sum(p.is_right(e) for p, e in zip(predictions, examples, strict=True))
    latest = sum(p.supporting[:1] == e.supporting for p, e in zip(predictions, examples, strict=True))
    # Every story moves someone at least twice in some stories: the latest move must win.
    assert answered >= 95, answered
    assert latest >= 95, latest


@pytest.mark.slow  # trains a model
def test_training_is_deterministic_for_a_seed():
    first, second = _trained(seed=5, epochs=1), _trained(seed=5, epochs=1)
    for name, tensor in first.model.state_dict().items():
        assert torch.equal(tensor, second.model.state_dict()[name]), name


@pytest.mark.slow  # trains a model
def test_checkpoint_round_trip_keeps_weights_and_version(tmp_path):
    result = _trained(epochs=1)
    saved = checkpoint.Checkpoint(result.model, result.vocabulary, "tiny", {"note": "test"})
    version = checkpoint.save(saved, tmp_path / "tiny.pt")
    loaded = checkpoint.load(tmp_path / "tiny.pt")
    assert loaded.version == version == saved.version
    assert loaded.vocabulary.words == result.vocabulary.words and loaded.metadata == {"note": "test"}
    for name, tensor in result.model.state_dict().items():
        assert torch.equal(tensor, loaded.model.state_dict()[name])
    # the file holds plain data only
    torch.load(tmp_path / "tiny.pt", weights_only=True)
    checkpoint.save(loaded, tmp_path / "again.pt")
    assert checkpoint.load(tmp_path / "again.pt").version == version


def test_a_setting_added_to_the_config_later_keeps_an_older_files_version():
    """memnn-babi-en was saved before answer_sizes and latest_mentions existed: its version, as its card
    and stored rows name it, is what its file holds, not what today's config would add to it."""
    shipped = checkpoint.load(BABI_MODEL)
    assert shipped.version == "5db8f9a9e793"
    assert "latest_mentions" not in shipped.config and shipped.model.config.latest_mentions is False


@pytest.mark.slow  # trains a model
def test_beam_search_reports_the_scores_of_the_sequence_it_picked():
    result = _trained(epochs=2)
    model, vocabulary = result.model, result.vocabulary
    batch = to_tensors(encode_questions(where_is_stories(8, seed=7, moves=6), vocabulary))
    memories = model.memory_batch(batch.memory_words, batch.memory_matches, batch.memory_mask)
    question = QuestionBatch(batch.question_words, batch.question_matches)
    candidates = answer_candidates(len(vocabulary))
    for beam in (1, 3):
        found = model.infer(memories, question, candidates, beam=beam)
        for row in range(8):
            picked = [int(m) for m in found.chosen[row] if m >= 0]
            assert len(set(picked)) == len(picked)  # never the same memory twice
            one = type(memories)(*(t[row : row + 1] for t in vars(memories).values()))
            asked = QuestionBatch(question.words[row : row + 1], question.matches[row : row + 1])
            for hop, memory in enumerate(picked):
                prefix = torch.tensor([picked[:hop]], dtype=torch.long)
                scores = model.hop_scores(one, asked, prefix)[0]
                assert torch.isclose(found.hop_scores[row, hop], scores[memory], atol=1e-4)
                if beam == 1:  # greedy: each hop takes the best-scoring memory given the ones before it
                    assert int(scores.argmax()) == memory
            if beam == 1 and len(picked) < model.config.max_hops:  # ... and stops where STOP scores best
                after = model.hop_scores(one, asked, torch.tensor([picked], dtype=torch.long))[0]
                assert int(after.argmax()) == len(after) - 1


@pytest.mark.slow  # trains a model
def test_scores_do_not_depend_on_padding():
    """A story scored alone or padded beside a longer one gets the same hop scores."""
    result = _trained(epochs=1)
    model, vocabulary = result.model, result.vocabulary
    torch.nn.init.normal_(model.o_features.weight)  # make every feature count
    short, long = where_is_stories(1, seed=11, moves=3)[0], where_is_stories(1, seed=12, moves=9)[0]
    scores = []
    for questions in ([short], [short, long]):
        batch = to_tensors(encode_questions(questions, vocabulary))
        memories = model.memory_batch(batch.memory_words, batch.memory_matches, batch.memory_mask)
        question = QuestionBatch(batch.question_words, batch.question_matches)
        for chosen in (torch.full((len(questions), 0), -1), torch.tensor([[1]] * len(questions))):
            scores.append(model.hop_scores(memories, question, chosen)[0, :3])
    assert torch.allclose(scores[0], scores[2], atol=1e-5)
    assert torch.allclose(scores[1], scores[3], atol=1e-5)


@pytest.mark.slow  # trains a model
def test_words_outside_the_vocabulary_become_answer_candidates():
    result = _trained(epochs=2)
    model, vocabulary = result.model, result.vocabulary
    story = Question(1, 0, ("Zanele went to the conservatory.",), "Where is Zanele?", "conservatory", (0,))
    batch = to_tensors(encode_questions([story], vocabulary))
    memories = model.memory_batch(batch.memory_words, batch.memory_matches, batch.memory_mask)
    question = QuestionBatch(batch.question_words, batch.question_matches)
    candidates = answer_candidates(len(vocabulary))
    found = model.infer(memories, question, candidates, beam=1)
    assert found.chosen[0, 0] == 0  # O finds the fact through the exact match on the unseen name
    unseen = [int(m) for m in found.unseen[0]]
    assert sorted(unseen) == sorted({int(m) for m in batch.memory_matches[0, 0] if m >= len(vocabulary)})
    assert len(unseen) == 2  # zanele, conservatory
    assert found.answer_scores.shape == (1, len(candidates) + 2)
    assert torch.isfinite(found.answer_scores[0, len(candidates) :]).all()
