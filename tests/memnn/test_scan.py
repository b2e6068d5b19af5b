"""The bank scan computes exactly the dense model's hop scores, with far less work per hop."""

import numpy as np
import pytest
import torch

from app.memnn.model import MemNN, MemNNConfig, MemoryBatch, QuestionBatch, answer_candidates
from app.memnn.serving.bank import BankView, Sentences, WordIndex, stable_order
from app.memnn.serving.scan import BankScan, infer
from app.memnn.text import PAD_ID

VOCAB = 40
CONFIG = MemNNConfig(vocab_size=VOCAB, dim=16, hidden=32, match_len=6, near_mentions=3, beam=3)
# the scan must equal the dense model whatever the layout: the write-time ablation, and the shipped sizes
CONFIGS = {
    "small": CONFIG,
    "no-write-time": MemNNConfig(**(CONFIG.to_dict() | {"write_time": False})),
    "shipped-sizes": MemNNConfig(**(CONFIG.to_dict() | {"match_len": 12, "near_mentions": 8})),
    "latest-mentions": MemNNConfig(**(CONFIG.to_dict() | {"latest_mentions": True})),
    "answer-sizes": MemNNConfig(**(CONFIG.to_dict() | {"answer_sizes": 4})),
}


def _model(seed: int, config: MemNNConfig = CONFIG) -> MemNN:
    torch.manual_seed(seed)
    model = MemNN(config).eval()
    torch.nn.init.normal_(model.o_features.weight)  # make every feature count
    return model


def _bank(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n sentences of 3-8 words over a small vocabulary (words recur often), plus a question."""
    rng = np.random.default_rng(seed)
    words = np.zeros((n, 8), dtype=np.int64)
    for row in range(n):
        length = rng.integers(3, 9)
        words[row, :length] = rng.integers(2, VOCAB, length)
    # unseen words in a third of the memories: match ids above the vocabulary
    words[rng.integers(0, n, max(1, n // 3)), 0] = VOCAB + 1 + rng.integers(0, 2, max(1, n // 3))
    question = torch.tensor([[VOCAB + 1, int(rng.integers(2, VOCAB)), int(rng.integers(2, VOCAB)), 5]])
    return torch.from_numpy(words), question


def _dense(model: MemNN, matches: torch.Tensor) -> MemoryBatch:
    words = matches.masked_fill(matches >= VOCAB, 1)
    return model.memory_batch(words[None], matches[None], torch.ones(1, len(matches), dtype=torch.bool))


def _view(memories: MemoryBatch, match_len: int = CONFIG.match_len) -> BankView:
    return BankView.of(
        memories.as_candidate[0].detach().numpy(),
        memories.as_support[0].detach().numpy(),
        memories.matches[0].numpy().astype(np.int32),
        match_len,
    )


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
@pytest.mark.parametrize("n", [5, 60, 400])
def test_scan_scores_equal_the_dense_hop_scores(n: int, config: MemNNConfig) -> None:
    model = _model(seed=n, config=config)
    matches, question_matches = _bank(n, seed=n)
    question = QuestionBatch(question_matches.masked_fill(question_matches >= VOCAB, 1), question_matches)
    with torch.no_grad():
        memories = _dense(model, matches)
        scan = BankScan(model, _view(memories, config.match_len), question)
        rng = np.random.default_rng(0)
        prefixes = [[], [n - 1], [int(rng.integers(n))], [0, n - 1]]
        prefixes += [list(rng.choice(n, size=min(n, 3), replace=False)) for _ in range(3)]
        for prefix in prefixes:
            chosen = torch.tensor([prefix], dtype=torch.long).reshape(1, len(prefix))
            expected = model.hop_scores(memories, question, chosen)
            found = scan.hop_scores(chosen)
            assert torch.equal(torch.isinf(found), torch.isinf(expected)), prefix
            finite = torch.isfinite(expected)
            assert torch.allclose(found[finite], expected[finite], atol=1e-4), prefix
        # a question whose words no memory holds
        nowhere = torch.tensor([[VOCAB + 7, VOCAB + 8]])
        unmatched = QuestionBatch(torch.ones_like(nowhere), nowhere)
        expected = model.hop_scores(memories, unmatched, torch.zeros(1, 0, dtype=torch.long))
        found = BankScan(model, _view(memories, config.match_len), unmatched).hop_scores(
            torch.zeros(1, 0, dtype=torch.long)
        )
        assert torch.allclose(found, expected, atol=1e-4)
        # several sequences at once, as the beam search asks
        chosen = torch.tensor([[0, 1], [n - 1, n // 2], [n // 3, 2 * n // 3]]) % n
        chosen = chosen[chosen[:, 0] != chosen[:, 1]]
        wide = MemoryBatch(*(t.expand(len(chosen), *t.shape[1:]) for t in vars(memories).values()))
        asked = QuestionBatch(question.words.expand(len(chosen), -1), question.matches.expand(len(chosen), -1))
        expected = model.hop_scores(wide, asked, chosen)
        found = scan.hop_scores(chosen)
        finite = torch.isfinite(expected)
        assert torch.equal(finite, torch.isfinite(found))
        assert torch.allclose(found[finite], expected[finite], atol=1e-4)


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
@pytest.mark.parametrize("hops", [3, 6])  # 6: R reads facts past the third, which share one occurrence slot
def test_scan_inference_equals_dense_inference(config: MemNNConfig, hops: int) -> None:
    model = _model(seed=7, config=config)
    parts = model.answer_part_ids.clone()
    parts[30], parts[31] = torch.tensor([5, 6, PAD_ID]), torch.tensor([7, 8, 9])  # comma-joined answers
    model.set_answer_parts(parts)
    with torch.no_grad():
        model.stop[2].bias.fill_(-20.0)  # an untrained STOP wins at once: hop to the cap, so R has facts
    candidates = answer_candidates(VOCAB)
    unseen_answers = 0
    for seed in range(4):
        matches, question_matches = _bank(300, seed=seed)
        question = QuestionBatch(question_matches.masked_fill(question_matches >= VOCAB, 1), question_matches)
        with torch.no_grad():
            memories = _dense(model, matches)
            expected = model.infer(memories, question, candidates, max_hops=hops)
            found = infer(model, _view(memories, config.match_len), question, candidates, max_hops=hops)
        assert (expected.chosen >= 0).sum() == hops  # STOP never won: every hop's fact reaches R
        assert torch.equal(found.chosen, expected.chosen)
        assert torch.allclose(found.hop_scores, expected.hop_scores, atol=1e-4)
        assert torch.equal(found.unseen, expected.unseen)
        assert torch.allclose(found.answer_scores, expected.answer_scores, atol=1e-4)
        assert torch.equal(found.answer_sizes, expected.answer_sizes)
        unseen_answers += found.unseen.shape[1]
    assert unseen_answers  # R scored a word no vocabulary holds, as the dense model does


def test_word_index_built_in_pieces_equals_one_build() -> None:
    matches, _ = _bank(500, seed=3)
    whole, pieces = WordIndex(6), WordIndex(6)
    whole.append(matches[:, :6].numpy())
    for start in range(0, 500, 37):
        pieces.append(matches[start : start + 37, :6].numpy())
    for word in range(VOCAB + 2):
        expected = [row for row in range(500) if word != PAD_ID and word in matches[row, :6].tolist()]
        assert whole.rows(word).tolist() == pieces.rows(word).tolist() == expected


@pytest.mark.parametrize("largest", [40, 70_000, 2**31 - 1])  # ids in one 16-bit half, and past it
def test_stable_order_is_numpys_stable_argsort(largest: int) -> None:
    keys = np.random.default_rng(largest).integers(0, largest, 5000, endpoint=True).astype(np.int32)
    keys[:3] = [largest, 0, largest]
    assert np.array_equal(stable_order(keys), np.argsort(keys, kind="stable"))
    assert len(stable_order(keys[:0])) == 0


def test_sentences_from_stored_bytes_and_their_heads() -> None:
    rows = [[5, 6, 7, 8], [9], [], [3, 4]]
    sentences = Sentences.joined([np.array(row, dtype=np.int32).tobytes() for row in rows])
    assert [sentences.row(i).tolist() for i in range(4)] == rows
    assert sentences.heads(3).tolist() == [[5, 6, 7], [9, PAD_ID, PAD_ID], [PAD_ID] * 3, [3, 4, PAD_ID]]


def test_hashed_scan_scores_the_near_memories_exactly_and_no_others() -> None:
    n = 400
    model = _model(seed=11)
    matches, question_matches = _bank(n, seed=11)
    question = QuestionBatch(question_matches.masked_fill(question_matches >= VOCAB, 1), question_matches)
    with torch.no_grad():
        view = _view(_dense(model, matches))
        exact, hashed = BankScan(model, view, question), BankScan(model, view, question, hashed=True)
        for prefix in ([], [n // 2], [n // 2, 7]):
            chosen = torch.tensor([prefix], dtype=torch.long).reshape(1, len(prefix))
            expected, found = exact.hop_scores(chosen)[0], hashed.hop_scores(chosen)[0]
            scored = torch.isfinite(found)
            assert torch.allclose(found[scored], expected[scored], atol=1e-4)  # STOP included
            assert scored[n - 33 : n].all()  # the newest memories are always near
            assert 0 < int(scored[:n].sum()) < n // 2  # far memories are not scored at all
            for fact in prefix:  # nor are a previous fact's neighbours skipped
                neighbours = torch.arange(max(0, fact - 16), min(n, fact + 17))
                assert scored[neighbours[neighbours != fact]].all() and not scored[fact]
