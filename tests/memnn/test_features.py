import torch

from app.memnn.features import (
    NO_SLOT,
    HopFeatureLayout,
    HopFeatureSettings,
    MatchIds,
    hop_features,
    pair_match,
    position_bins,
)
from app.memnn.text import UNK_ID, Vocabulary, tokenize

MATCH_LEN, RANKS, NEAR = 6, 4, 8


def _features(memories: list[str], slots: list[str], slot_positions: list[int]):
    vocabulary = Vocabulary(tokenize(" ".join(memories + slots)))
    ids = MatchIds(vocabulary)
    width = max(len(tokenize(s)) for s in memories + slots)
    memory = torch.tensor([[_padded(ids.sentence(tokenize(m)).matches, width) for m in memories]])
    slot = torch.tensor([[_padded(ids.sentence(tokenize(s)).matches, width) for s in slots]])
    mask = torch.ones(1, len(memories), dtype=torch.bool)
    return hop_features(memory, mask, slot, torch.tensor([slot_positions]), HopFeatureSettings(MATCH_LEN, RANKS, NEAR))


def _padded(row, width):
    return row + [0] * (width - len(row))


def _blocks(features):
    """(1, N, F) features -> each block of the declared layout, shaped (*block, N)."""
    return HopFeatureLayout(3, MATCH_LEN, RANKS).split(features[0].T.numpy())


def test_the_rank_blocks_are_one_hot_and_the_relation_names_the_slot():
    memories = ["joe went to the kitchen", "joe got the milk", "fred went to the office"]
    blocks = _blocks(_features(memories, ["where is the milk", "joe got the milk", ""], [3, 1, NO_SLOT]))
    assert (blocks["ranks"].sum(3) == 1).all()  # every (slot, word, side): one rank or "no match"
    assert blocks["age"].sum(0).tolist() == [1, 1, 1]
    before, after, empty = blocks["relation"][:, :3].transpose(1, 0, 2)  # (S, N) each
    assert before[1].tolist() == [1, 0, 0] and after[1].tolist() == [0, 0, 1]
    assert empty[2].tolist() == [1, 1, 1] and before[0].tolist() == [1, 1, 1]


def test_recency_rank_marks_the_latest_fact_about_a_word():
    memories = ["joe went to the kitchen", "fred went to the office", "joe went to the garden"]
    features = _features(memories, ["where is joe", "", ""], [3, NO_SLOT, NO_SLOT])
    joe_rank = _blocks(features)["ranks"][0, 2, 0].T  # slot 0 (question), word 2 ("joe"), before it: (N, R + 1)
    assert joe_rank[2].argmax() == 0  # the latest fact about joe
    assert joe_rank[0].argmax() == 1  # one newer fact about joe exists
    assert joe_rank[1].argmax() == RANKS  # no joe: the "no match" bucket


def test_rank_after_a_previous_fact_counts_from_that_fact():
    memories = ["joe got the milk", "joe went to the kitchen", "joe went to the office"]
    features = _features(memories, ["where is the milk", "joe got the milk", ""], [3, 0, NO_SLOT])
    after = _blocks(features)["ranks"][1, 0, 1].T  # slot 1, word "joe", after the slot
    assert after[1].argmax() == 0 and after[2].argmax() == 1
    assert after[0].argmax() == RANKS  # the slot's own memory is not after it


def test_unseen_words_get_distinct_match_ids():
    vocabulary = Vocabulary(["went", "to"])
    ids = MatchIds(vocabulary)
    first, second, again = (ids.sentence([w]) for w in ("zanele", "ofelia", "zanele"))
    assert first.words == second.words == [UNK_ID]
    assert first.matches != second.matches and first.matches == again.matches


def test_position_bins_follow_sentence_length():
    bins = position_bins(torch.tensor([[5, 6, 7, 8, 0, 0]]), 2)
    assert bins[0, :, 0].tolist() == [1, 1, 0, 0, 0, 0]
    assert bins[0, :, 1].tolist() == [0, 0, 1, 1, 0, 0]


def test_pair_match_ignores_padding():
    matrix = pair_match(torch.tensor([[3, 4, 0]]), torch.tensor([[4, 0, 3]]), 3).view(3, 3)
    assert matrix.tolist() == [[0, 0, 1], [1, 0, 0], [0, 0, 0]]


def test_only_the_nearest_mentions_of_a_word_match():
    memories = [f"joe went to place{i}" for i in range(NEAR + 3)]
    features = _features(memories, ["where is joe", "", ""], [len(memories), NO_SLOT, NO_SLOT])
    blocks = _blocks(features)
    matched = blocks["positional"][0].sum((0, 1)) > 0  # slot 0's exact-match block, per memory
    # the NEAR newest mentions of "joe" match; the older ones are no match at all
    assert matched.tolist() == [False] * 3 + [True] * NEAR
    assert blocks["ranks"][0, 2, 0, :, 0].argmax() == RANKS  # "no match" bucket


def test_a_facts_words_are_ranked_from_the_banks_newest_mention_too():
    memories = ["joe got the milk", "joe went to the kitchen", "joe went to the office", "joe went to the garden"]
    vocabulary = Vocabulary(tokenize(" ".join(memories)))
    ids = MatchIds(vocabulary)
    memory = torch.tensor([[_padded(ids.sentence(tokenize(m)).matches, 5) for m in memories]])
    slot = torch.tensor([[_padded(ids.sentence(tokenize("joe got the milk")).matches, 5)]])
    settings = HopFeatureSettings(MATCH_LEN, RANKS, near_mentions=2, latest_mentions=True)
    features = hop_features(memory, torch.ones(1, 4, dtype=torch.bool), slot, torch.tensor([[0]]), settings)
    blocks = settings.layout(1).split(features[0].T.numpy())
    after, newest = blocks["ranks"][0, 0, 1].T, blocks["ranks"][0, 0, 2].T  # the fact's word "joe": (N, R + 1)
    assert [int(r.argmax()) for r in after[1:]] == [0, 1, RANKS]  # only the 2 nearest after the fact count
    assert [int(r.argmax()) for r in newest[1:]] == [RANKS, 1, 0]  # the newest Joe statement is rank 0
    assert blocks["positional"][0].sum((0, 1))[3] > 0  # and it matches, though far from the fact
