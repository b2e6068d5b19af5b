import torch

from app.memnn.features import NO_SLOT, MatchIds, hop_feature_size, hop_features, pair_match, position_bins
from app.memnn.text import UNK_ID, Vocabulary, tokenize

MATCH_LEN, RANKS, NEAR = 6, 4, 8


def _features(memories: list[str], slots: list[str], slot_positions: list[int]):
    vocabulary = Vocabulary(tokenize(" ".join(memories + slots)))
    ids = MatchIds(vocabulary)
    width = max(len(tokenize(s)) for s in memories + slots)
    memory = torch.tensor([[_padded(ids.sentence(tokenize(m)).matches, width) for m in memories]])
    slot = torch.tensor([[_padded(ids.sentence(tokenize(s)).matches, width) for s in slots]])
    mask = torch.ones(1, len(memories), dtype=torch.bool)
    return hop_features(memory, mask, slot, torch.tensor([slot_positions]), MATCH_LEN, RANKS, NEAR)


def _padded(row, width):
    return row + [0] * (width - len(row))


def test_feature_size_matches_the_declared_size():
    features = _features(["joe went to the kitchen", "joe got the milk"], ["where is the milk", "", ""], [2, -1, -1])
    assert features.shape == (1, 2, hop_feature_size(3, MATCH_LEN, RANKS))


def test_recency_rank_marks_the_latest_fact_about_a_word():
    memories = ["joe went to the kitchen", "fred went to the office", "joe went to the garden"]
    features = _features(memories, ["where is joe", "", ""], [3, NO_SLOT, NO_SLOT])
    ranks_start = 3 * MATCH_LEN * MATCH_LEN
    # slot 0 (question), word 2 ("joe"), "before slot" type: one-hot over RANKS + 1 buckets
    offset = ranks_start + (0 * MATCH_LEN + 2) * 2 * (RANKS + 1)
    joe_rank = features[0, :, offset : offset + RANKS + 1]
    assert joe_rank[2].argmax() == 0  # the latest fact about joe
    assert joe_rank[0].argmax() == 1  # one newer fact about joe exists
    assert joe_rank[1].argmax() == RANKS  # no joe: the "no match" bucket


def test_rank_after_a_previous_fact_counts_from_that_fact():
    memories = ["joe got the milk", "joe went to the kitchen", "joe went to the office"]
    features = _features(memories, ["where is the milk", "joe got the milk", ""], [3, 0, NO_SLOT])
    ranks_start = 3 * MATCH_LEN * MATCH_LEN
    offset = ranks_start + (1 * MATCH_LEN + 0) * 2 * (RANKS + 1) + (RANKS + 1)  # slot 1, word "joe", after
    after = features[0, :, offset : offset + RANKS + 1]
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
    positional = features[0, :, : MATCH_LEN * MATCH_LEN]  # slot 0's exact-match block
    matched = positional.sum(1) > 0
    # the NEAR newest mentions of "joe" match; the older ones are no match at all
    assert matched.tolist() == [False] * 3 + [True] * NEAR
    ranks_start = 3 * MATCH_LEN * MATCH_LEN
    offset = ranks_start + (0 * MATCH_LEN + 2) * 2 * (RANKS + 1)
    assert features[0, 0, offset : offset + RANKS + 1].argmax() == RANKS  # "no match" bucket
