"""I: feature maps. Sentences become padded id tensors; hops get match and write-time features.

Two ids describe every token:
- the *word id* (vocabulary id, ``UNK_ID`` for an unseen word) selects an embedding;
- the *match id* tells tokens apart for exact-match features. It equals the word id for
  known words and gives each distinct unseen word its own id above the vocabulary, so
  two different unseen names never "match" each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import torch
from torch import Tensor

from .text import PAD_ID, UNK_ID, Vocabulary, answer_items

NO_SLOT = -1  # position of an empty context slot (hop 1 has no previous fact)


@dataclass
class SentenceIds:
    words: list[int]
    matches: list[int]


class MatchIds:
    """Per-story map from raw tokens to match ids (see module docstring)."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.unseen: dict[str, int] = {}
        self.unseen_words: list[str] = []  # the same words by match id (above the vocabulary's)

    def sentence(self, tokens: list[str]) -> SentenceIds:
        words = self.vocabulary.encode(tokens)
        matches = [
            word if word != UNK_ID else self._unseen_id(token) for word, token in zip(words, tokens, strict=True)
        ]
        return SentenceIds(words, matches)

    def _unseen_id(self, token: str) -> int:
        if token not in self.unseen:
            self.add_unseen(token)
        return self.unseen[token]

    def add_unseen(self, token: str) -> int:
        """Give a word no id yet has the next id above the vocabulary."""
        self.unseen[token] = match_id = len(self.vocabulary) + len(self.unseen_words)
        self.unseen_words.append(token)
        return match_id

    def word(self, match_id: int) -> str:
        """The unseen word behind ``match_id``."""
        return self.unseen_words[match_id - len(self.vocabulary)]


def pad_2d(rows: list[list[int]], width: int | None = None) -> Tensor:
    """List of id lists -> (len(rows), width) int64, padded with ``PAD_ID``."""
    width = max([len(row) for row in rows] + [1]) if width is None else width
    out = np.full((len(rows), width), PAD_ID, dtype=np.int64)
    for i, row in enumerate(rows):
        if row:
            out[i, : min(len(row), width)] = row[:width]
    return torch.from_numpy(out)


def pad_3d(blocks: list[list[list[int]]]) -> Tensor:
    """List of (list of id lists) -> (B, N, L) int64."""
    n = max([len(block) for block in blocks] + [1])
    width = max([len(row) for block in blocks for row in block] + [1])
    out = np.full((len(blocks), n, width), PAD_ID, dtype=np.int64)
    for b, block in enumerate(blocks):
        for i, row in enumerate(block):
            if row:
                out[b, i, : len(row)] = row
    return torch.from_numpy(out)


def position_bins(tokens: Tensor, bins: int) -> Tensor:
    """(..., L) ids -> (..., L, bins) one-hot of the paper's bin p(i, l) = ceil(i * bins / l).

    Padding gets an all-zero row; the bin is relative to the sentence length, so word order
    is kept for sentences of any length.
    """
    present = tokens != PAD_ID
    length = present.sum(-1, keepdim=True).clamp(min=1)
    index = torch.arange(1, tokens.shape[-1] + 1, device=tokens.device)
    which = torch.ceil(index * bins / length).long().clamp(1, bins) - 1
    return torch.nn.functional.one_hot(which, bins).float() * present.unsqueeze(-1)


def bucket(values: Tensor, edges: list[int]) -> Tensor:
    """Integer tensor -> bucket index: values < edges[0] -> 0, ..., >= edges[-1] -> len(edges)."""
    return torch.bucketize(values, torch.tensor(edges, device=values.device), right=True)


def bucket_of(values: np.ndarray | int, edges: list[int]) -> np.ndarray:
    """``bucket`` for numpy arrays (serving's tables read the same edges)."""
    return np.searchsorted(edges, values, side="right")


AGE_EDGES = [1, 2, 3, 5, 9, 17, 33]  # 0, 1, 2, 3-4, 5-8, 9-16, 17-32, 33+ statements ago
DISTANCE_EDGES = [2, 3, 5, 9, 17]  # 1, 2, 3-4, 5-8, 9-16, 17+ statements apart
AGES, DISTANCES = len(AGE_EDGES) + 1, len(DISTANCE_EDGES) + 1  # buckets of each
RECENT = AGE_EDGES[-1]  # memories this young have an age feature of their own
NEARBY = DISTANCE_EDGES[-1] - 1  # memories this close to a slot have a distance feature of their own


class Relation(IntEnum):
    """A memory's relation to a context slot: the first RELATIONS entries of the slot's relation block,
    in this order (the distance buckets follow)."""

    BEFORE = 0  # the memory was written before the slot
    AFTER = 1  # ... after it
    EMPTY = 2  # the slot is empty (hop 1 has no previous fact)


RELATIONS = len(Relation)


class RankSide(IntEnum):
    """Where a slot word's mention rank is counted from: the sides of the ranks block, in this order."""

    BEFORE = 0  # back from the slot
    AFTER = 1  # on from the slot
    NEWEST = 2  # back from the bank's newest mention (``latest_mentions`` only)


def rank_sides(latest: bool) -> tuple[RankSide, ...]:
    """The ranks block's sides: before and after the slot, and with ``latest`` the bank's newest mentions."""
    return tuple(RankSide) if latest else (RankSide.BEFORE, RankSide.AFTER)


@dataclass(frozen=True)
class HopFeatureLayout:
    """The hop features of one candidate memory, in order: the one declaration that the model's
    ``assemble_hop_features`` builds and serving's ``o_tables`` cuts its weight rows by.

    Per context slot s (the question, o_h-1, o_h-2), for the slot's word i and the memory's word j:
    - ``positional`` (S, M, M): slot word i equals memory word j, for a near mention;
    - ``ranks`` (S, M, sides, R + 1): the mention rank of slot word i on each of ``rank_sides`` (R
      ranks, the last "R or more", then "no near mention"), exactly one hot per (s, i, side);
    - ``relation`` (S, RELATIONS + DISTANCES): ``Relation`` (before / after / empty slot), then the
      distance bucket;
    then the memory's ``age`` (AGES) bucket.
    """

    slots: int
    match_len: int
    rank_buckets: int
    latest: bool = False  # also the rank among a slot word's newest mentions (``latest_mentions``)

    @property
    def rank_sides(self) -> tuple[RankSide, ...]:
        return rank_sides(self.latest)

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        s, m, r = self.slots, self.match_len, self.rank_buckets
        return {
            "positional": (s, m, m),
            "ranks": (s, m, len(self.rank_sides), r + 1),
            "relation": (s, RELATIONS + DISTANCES),
            "age": (AGES,),
        }

    @property
    def size(self) -> int:
        return sum(int(np.prod(shape)) for shape in self.shapes.values())

    def split(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """(size, H) rows, one per feature -> each block's rows, shaped (*block, H)."""
        assert rows.shape[0] == self.size, (rows.shape, self.size)
        blocks, at = {}, 0
        for name, shape in self.shapes.items():
            width = int(np.prod(shape))
            blocks[name] = rows[at : at + width].reshape(*shape, *rows.shape[1:])
            at += width
        return blocks


@dataclass(frozen=True)
class HopFeatureSettings:
    """What shapes a hop's features: ``MemNNConfig``'s fields of the same names (``MemNNConfig.hop_features``)."""

    match_len: int  # tokens per sentence that take part in exact-match features
    rank_buckets: int
    near_mentions: int  # mentions of a word, nearest each slot on each side, that count as matches
    latest_mentions: bool = False  # also rank each slot word's mentions from the bank's newest one

    def layout(self, slots: int) -> HopFeatureLayout:
        """The features' layout with ``slots`` context slots."""
        return HopFeatureLayout(slots, self.match_len, self.rank_buckets, self.latest_mentions)


@dataclass
class SlotFeatures:
    """One hop's candidate features per context slot, each (B, N, S, ·); slots join along dim 2."""

    positional: Tensor
    ranks: Tensor
    relation: Tensor

    @staticmethod
    def join(parts: list[SlotFeatures]) -> SlotFeatures:
        groups = zip(*(vars(part).values() for part in parts), strict=True)
        return SlotFeatures(*(torch.cat(group, dim=2) for group in groups))

    def rows(self, index: Tensor) -> SlotFeatures:
        return SlotFeatures(self.positional[index], self.ranks[index], self.relation[index])


def slot_features(
    memory_matches: Tensor,  # (B, N, L) match ids of every memory
    memory_mask: Tensor,  # (B, N) True where a memory exists
    slot_matches: Tensor,  # (B, S, Ls) match ids of the question or previous facts
    slot_positions: Tensor,  # (B, S) write position of each slot; the memory count for the question, NO_SLOT if empty
    settings: HopFeatureSettings,
) -> SlotFeatures:
    """Each slot's features of every candidate memory (see ``hop_features``); slots are independent,
    so the question's can be computed once and joined with each hop's previous facts. With
    ``latest_mentions``, also each mention's rank from the newest one of the bank (the question sits
    at its end)."""
    n_memories = memory_matches.shape[1]
    equal = word_equality(memory_matches, memory_mask, slot_matches, settings.match_len)  # (B, S, M, N, M)
    contains = equal.any(-1).float()  # (B, S, M, N)
    cumulative = contains.cumsum(-1)  # memories 0..n containing the word
    slot_at = slot_positions[:, :, None, None]  # (B, S, 1, 1)
    # newer mentions strictly between the memory and the slot: C[slot-1] - C[n]
    newer_before = _at(cumulative, slot_at - 1) - cumulative
    # mentions strictly between the slot and the memory: C[n-1] - C[slot]
    nearer_after = cumulative - contains - _at(cumulative, slot_at)
    positions = torch.arange(n_memories, device=memory_matches.device).expand(memory_matches.shape[0], -1)
    # mentions after the memory, up to the bank's end: C[N-1] - C[n]
    newest = cumulative[..., -1:] - cumulative if settings.latest_mentions else None
    return mention_features(equal, newer_before, nearer_after, positions, slot_positions, settings, newest)


def word_equality(memory_matches: Tensor, memory_mask: Tensor, slot_matches: Tensor, match_len: int) -> Tensor:
    """(B, S, M, N, M): word i of slot s equals word j of memory n (padding and absent memories never)."""
    memory_head = fit_width(memory_matches, match_len)  # (B, N, M)
    slot_head = fit_width(slot_matches, match_len)  # (B, S, M)
    equal = slot_head[:, :, :, None, None] == memory_head[:, None, None, :, :]
    equal &= (slot_head != PAD_ID)[:, :, :, None, None] & (memory_head != PAD_ID)[:, None, None, :, :]
    return equal & memory_mask[:, None, None, :, None]


def mention_features(
    equal: Tensor,  # (B, S, M, N, M) word_equality
    newer_before: Tensor,  # (B, S, M, N) mentions of slot word i between memory n and slot s, for n before it
    nearer_after: Tensor,  # (B, S, M, N) mentions of slot word i between slot s and memory n, for n after it
    positions: Tensor,  # (B, N) write position of each memory
    slot_positions: Tensor,  # (B, S)
    settings: HopFeatureSettings,
    newest: Tensor | None = None,  # (B, S, M, N) mentions of slot word i after memory n, to the bank's end
) -> SlotFeatures:
    """The slot features from each memory's mention ranks. Only the ``near_mentions`` mentions of a
    slot word nearest the slot on each side (and, with ``newest``, the bank's ``near_mentions`` newest
    mentions of it) count as matches: any other mention is no match at all, so a memory's features
    depend on a bounded neighbourhood of each slot and of the bank's end, whatever the bank's size
    (serving relies on it: ``scan.py``, with these features as table rows from ``o_tables.py``)."""
    batch, n_slots = slot_positions.shape
    n_memories = positions.shape[1]
    rank_buckets, near_mentions = settings.rank_buckets, settings.near_mentions
    contains = equal.any(-1)  # (B, S, M, N)
    slot_at = slot_positions[:, :, None, None]  # (B, S, 1, 1)
    at = positions[:, None, None, :]  # (B, 1, 1, N)
    is_before = at < slot_at
    is_after = (at > slot_at) & (slot_at != NO_SLOT)
    near_before = contains & is_before & (newer_before < near_mentions)
    near_after = contains & is_after & (nearer_after < near_mentions)
    near = near_before | near_after
    by_side = {
        RankSide.BEFORE: _rank_one_hot(newer_before, near_before, rank_buckets),
        RankSide.AFTER: _rank_one_hot(nearer_after, near_after, rank_buckets),
    }
    if newest is not None:
        near_newest = contains & (newest < near_mentions)
        near = near | near_newest
        by_side[RankSide.NEWEST] = _rank_one_hot(newest, near_newest, rank_buckets)
    positional = (equal & near[..., None]).permute(0, 3, 1, 2, 4).reshape(batch, n_memories, n_slots, -1).float()
    ranks = torch.stack([by_side[side] for side in rank_sides(newest is not None)], dim=-2)  # (B, S, M, N, sides, R+1)
    ranks = ranks.permute(0, 3, 1, 2, 4, 5).reshape(batch, n_memories, n_slots, -1)

    slot_position = slot_positions[:, :, None]  # (B, S, 1)
    empty = (slot_position == NO_SLOT).expand(-1, -1, n_memories)
    by_relation = {
        Relation.BEFORE: is_before[:, :, 0] & ~empty,
        Relation.AFTER: is_after[:, :, 0],
        Relation.EMPTY: empty,
    }
    relation = torch.stack([by_relation[r] for r in Relation], dim=-1).float()
    distance = bucket((positions[:, None, :] - slot_position).abs(), DISTANCE_EDGES)
    distance = torch.nn.functional.one_hot(distance, DISTANCES).float() * (~empty)[..., None]
    relation = torch.cat([relation, distance], dim=-1).permute(0, 2, 1, 3)  # (B, N, S, RELATIONS + DISTANCES)
    return SlotFeatures(positional, ranks, relation)


def assemble_hop_features(
    memory_mask: Tensor, slots: SlotFeatures, layout: HopFeatureLayout, write_time: bool = True
) -> Tensor:
    """Slot features of every context slot and the memory's age -> (B, N, layout.size), in ``layout``'s order."""
    position = torch.arange(memory_mask.shape[1], device=memory_mask.device)
    ages = memory_mask.sum(-1, keepdim=True) - 1 - position
    age = bucket(ages.clamp(min=0), AGE_EDGES)
    age = torch.nn.functional.one_hot(age, AGES).float()
    ranks, relation = slots.ranks.flatten(2), slots.relation.flatten(2)
    if not write_time:  # ablation: exact match only, no notion of when anything was written
        ranks, relation, age = torch.zeros_like(ranks), torch.zeros_like(relation), torch.zeros_like(age)
    blocks = {"positional": slots.positional.flatten(2), "ranks": ranks, "relation": relation, "age": age}
    assert list(blocks) == list(layout.shapes)
    assert [b.shape[-1] for b in blocks.values()] == [int(np.prod(shape)) for shape in layout.shapes.values()]
    return torch.cat(list(blocks.values()), dim=-1) * memory_mask[..., None]


def hop_features(
    memory_matches: Tensor,  # (B, N, L) match ids of every memory
    memory_mask: Tensor,  # (B, N) True where a memory exists
    slot_matches: Tensor,  # (B, S, Ls) match ids of the question and the previous facts
    slot_positions: Tensor,  # (B, S) write position of each slot; the memory count for the question, NO_SLOT if empty
    settings: HopFeatureSettings,
    write_time: bool = True,
) -> Tensor:
    """Per-candidate features of one hop -> (B, N, F).

    - exact positional match: word i of slot s equals word j of the memory, for the
      ``near_mentions`` memories mentioning word i nearest the slot on each side;
    - write time bound to the match: among the memories that contain word i of slot s, how
      many newer ones lie between the memory and that slot (0 = the latest before it), and
      how many lie after the slot before the memory (0 = the first one after it);
    - the memory's relation to each slot (before, after, empty slot) and distance to it;
    - the memory's age (statements written since).
    ``write_time=False`` zeroes all but the positional match (an ablation).
    """
    slots = slot_features(memory_matches, memory_mask, slot_matches, slot_positions, settings)
    return assemble_hop_features(memory_mask, slots, settings.layout(slot_matches.shape[1]), write_time)


def pair_match(left: Tensor, right: Tensor, match_len: int) -> Tensor:
    """(B, L1), (B, L2) match ids -> (B, M*M) positional exact-match matrix, flattened."""
    left, right = fit_width(left, match_len), fit_width(right, match_len)
    equal = (left[:, :, None] == right[:, None, :]) & (left != PAD_ID)[:, :, None] & (right != PAD_ID)[:, None, :]
    return equal.flatten(1).float()


def fit_width(ids: Tensor, width: int) -> Tensor:
    """Truncate or right-pad the last dimension to ``width``."""
    if ids.shape[-1] >= width:
        return ids[..., :width]
    pad = torch.full((*ids.shape[:-1], width - ids.shape[-1]), PAD_ID, dtype=ids.dtype, device=ids.device)
    return torch.cat([ids, pad], dim=-1)


def _at(cumulative: Tensor, index: Tensor) -> Tensor:
    """cumulative[..., index] with index -1 (or less) reading 0 and index >= N reading the total."""
    n = cumulative.shape[-1]
    padded = torch.cat([torch.zeros_like(cumulative[..., :1]), cumulative], dim=-1)  # padded[k+1] = C[k]
    gather_at = (index + 1).clamp(0, n).expand(*cumulative.shape[:-1], 1)
    return padded.gather(-1, gather_at)


def _rank_one_hot(count: Tensor, valid: Tensor, rank_buckets: int) -> Tensor:
    """Counts -> one-hot over ``rank_buckets`` (last = that many or more) plus a 'no match' slot."""
    rank = count.long().clamp(0, rank_buckets - 1)
    rank = torch.where(valid, rank, torch.full_like(rank, rank_buckets))
    return torch.nn.functional.one_hot(rank, rank_buckets + 1).float()


@dataclass
class EncodedQuestion:
    """One question as ids: its memories (the statements before it), the question, the labels. The
    answer is a set of words (``text.answer_items``), each a vocabulary id or, for a word the
    vocabulary lacks, UNK_ID and its match id."""

    memory_words: list[list[int]]
    memory_matches: list[list[int]]
    question_words: list[int]
    question_matches: list[int]
    answers: list[int]
    supporting: list[int]
    answer_matches: list[int]  # per answer word: its match id if the vocabulary lacks it, else PAD_ID


@dataclass
class QuestionTensors:
    memory_words: Tensor  # (B, N, L)
    memory_matches: Tensor  # (B, N, L)
    memory_mask: Tensor  # (B, N)
    question_words: Tensor  # (B, Lq)
    question_matches: Tensor  # (B, Lq)
    answers: Tensor  # (B, A) vocabulary ids of the answer words, PAD_ID padded (UNK_ID: see answer_matches)
    supporting: Tensor  # (B, S) indices into the memories, -1 padded
    answer_matches: Tensor  # (B, A) match ids of answer words outside the vocabulary, PAD_ID otherwise


def encode_question(
    statements: list[list[str]], question: list[str], answer: str, supporting: list[int], vocabulary: Vocabulary
) -> EncodedQuestion:
    """Token lists -> ids; match ids are shared across the story and its question."""
    match_ids = MatchIds(vocabulary)
    memories = [match_ids.sentence(tokens) for tokens in statements]
    asked = match_ids.sentence(question)
    words = [vocabulary.id(item) for item in answer_items(answer)]
    unseen = [match_ids.unseen.get(item, PAD_ID) for item in answer_items(answer)]
    return EncodedQuestion(
        memory_words=[m.words for m in memories],
        memory_matches=[m.matches for m in memories],
        question_words=asked.words,
        question_matches=asked.matches,
        answers=words,
        supporting=list(supporting),
        answer_matches=[match if word == UNK_ID else PAD_ID for word, match in zip(words, unseen, strict=True)],
    )


def to_tensors(examples: list[EncodedQuestion]) -> QuestionTensors:
    memory_words = pad_3d([e.memory_words for e in examples])
    return QuestionTensors(
        memory_words=memory_words,
        memory_matches=pad_3d([e.memory_matches for e in examples]),
        memory_mask=pad_2d([[1] * len(e.memory_words) for e in examples], memory_words.shape[1]).bool(),
        question_words=pad_2d([e.question_words for e in examples]),
        question_matches=pad_2d([e.question_matches for e in examples]),
        answers=pad_2d([e.answers for e in examples]),
        supporting=pad_2d([[i + 1 for i in e.supporting] for e in examples]) - 1,
        answer_matches=pad_2d([e.answer_matches for e in examples]),
    )
