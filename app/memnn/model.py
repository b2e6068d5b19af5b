"""The Memory Network: sentence encoders (I), the hop scorer s_O with a learned STOP (O), and s_R (R).

Reading order: config, sentence encoder, the module's scorers, then inference (a beam search over
hop sequences until STOP, ``search.py``; beam 1 is the paper's greedy argmax; then the answer). The
margin ranking loss lives in ``training/train.py``.

Shapes: B questions, N memories, L tokens per sentence, D = config.dim, C answer candidates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import TypeVar

import numpy as np
import torch
from torch import Tensor, nn

from .features import (
    NO_SLOT,
    HopFeatureSettings,
    SlotFeatures,
    assemble_hop_features,
    fit_width,
    pair_match,
    position_bins,
    slot_features,
)
from .search import search_hops
from .text import FIRST_WORD_ID, PAD_ID, UNK_ID

CONTEXT_SLOTS = 3  # a hop sees the question and the two most recent supporting facts
ANSWER_SLOTS = 5  # R's occurrence features: the question, facts 1, 2, 3, and all later facts together
MAX_HOPS = 10  # the adaptive memory's hard cap on hops (bAbI paper: 10); also the largest ``k`` of /ask
R_FACTS = 3  # facts whose Φx R's context holds one by one (all of them are also summed)
# R's exact-match pairs among [question, fact 1, fact 2, ...]: x~o1, x~o2, o1~o2
R_PAIRS = ((0, 1), (0, 2), (1, 2))


@dataclass
class MemNNConfig:
    vocab_size: int
    dim: int = 64
    hidden: int = 128
    bins: int = 5  # position bins of the multilinear sentence map (bAbI paper, App. A.2.2)
    match_len: int = 12  # tokens per sentence that take part in exact-match features
    rank_buckets: int = 4
    near_mentions: int = 8  # mentions of a word, nearest each slot on each side, that count as matches
    max_hops: int = MAX_HOPS
    beam: int = 1  # hop sequences O keeps at inference (1 = greedy); chosen on validation
    write_time: bool = True  # the relative write-time features of O (False: an ablation)
    answer_parts: int = 3  # words of a comma-joined answer ("apple,football") that R composes
    # R also says how many words its answer has, 1 to answer_sizes, and answers with that many of its
    # best words (a list of words it has never seen); 0: with its one best word (checkpoints before it)
    answer_sizes: int = 0
    # O also ranks a previous fact's words among their newest mentions in the bank ("where is the
    # milk": the holder's latest place, however often they moved since they took it); False: before
    # and after the fact only (checkpoints trained before it)
    latest_mentions: bool = False

    def to_dict(self) -> dict[str, int | bool]:
        return asdict(self)

    @property
    def hop_features(self) -> HopFeatureSettings:
        """The settings ``features.slot_features`` reads."""
        return HopFeatureSettings(self.match_len, self.rank_buckets, self.near_mentions, self.latest_mentions)

    @classmethod
    def from_dict(cls, values: Mapping[str, int | bool]) -> MemNNConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})  # type: ignore[arg-type]


Part = TypeVar("Part", Tensor, np.ndarray)


@dataclass(frozen=True)
class ContextLayout:
    """A context vector's blocks side by side, each a name and a width, in this order: what the model
    concatenates, and the one declaration serving's tables cut the first layer's weight rows by."""

    blocks: tuple[tuple[str, int], ...]

    @property
    def size(self) -> int:
        return sum(width for _, width in self.blocks)

    def __getitem__(self, name: str) -> slice:
        """Where block ``name`` lies in the context (and in the rows of a layer that reads it)."""
        start = 0
        for block, width in self.blocks:
            if block == name:
                return slice(start, start + width)
            start += width
        raise KeyError(name)

    def ordered(self, parts: Mapping[str, Part]) -> list[Part]:
        """Each block's values by name -> in the layout's order, checked against it (last dimension)."""
        assert [(name, part.shape[-1]) for name, part in parts.items()] == list(self.blocks), parts.keys()
        return list(parts.values())


def hop_context_layout(dim: int, max_hops: int) -> ContextLayout:
    """O's context [x, o_h-1, o_h-2, hop]: the question, the Φx of the two previous facts, the hop (one-hot)."""
    return ContextLayout((("question", dim), ("fact_1", dim), ("fact_2", dim), ("hop", max_hops)))


def answer_context_layout(dim: int, max_hops: int, match_len: int) -> ContextLayout:
    """R's context [x, o1..ok]: the question, the first ``R_FACTS`` facts' Φx one by one, then all facts'
    summed, how many facts (one-hot, 0 to ``max_hops``), and the exact-match matrices of ``R_PAIRS``."""
    return ContextLayout(
        (
            ("question", dim),
            ("first_facts", R_FACTS * dim),
            ("all_facts", dim),
            ("count", max_hops + 1),
            ("pairs", len(R_PAIRS) * match_len * match_len),
        )
    )


@dataclass
class MemoryBatch:
    """B memory banks, padded to N memories of L tokens."""

    words: Tensor  # (B, N, L) vocabulary ids
    matches: Tensor  # (B, N, L) match ids
    mask: Tensor  # (B, N) True where a memory exists
    as_candidate: Tensor  # (B, N, D) Φy embedding: the memory being scored
    as_support: Tensor  # (B, N, D) Φx embedding: the memory taken as input of a later hop


@dataclass
class QuestionBatch:
    words: Tensor  # (B, L)
    matches: Tensor  # (B, L)


@dataclass
class Inference:
    chosen: Tensor  # (B, H) memory index per hop, -1 after STOP
    hop_scores: Tensor  # (B, H) s_O of the chosen memory
    answer_scores: Tensor  # (B, C + U) s_R of every candidate, then of every unseen word
    unseen: Tensor  # (B, U) match ids of the chosen memories' words outside the vocabulary (PAD_ID: none)
    answer_sizes: Tensor  # (B,) how many of its best words R answers with


class SentenceEncoder(nn.Module):
    """E(x) = tanh(Σ_p P_p Σ_{i in bin p} U φ(x_i)): a bag of words per position bin, mixed."""

    def __init__(self, vocab_size: int, dim: int, bins: int) -> None:
        super().__init__()
        self.bins = bins
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=PAD_ID)
        self.mix = nn.Linear(bins * dim, dim)
        nn.init.normal_(self.embedding.weight, std=0.1)
        with torch.no_grad():
            self.embedding.weight[PAD_ID].zero_()

    def forward(self, words: Tensor) -> Tensor:  # (..., L) -> (..., D)
        # An unseen word has no trained embedding: it adds nothing to the bag (the match
        # features still see it, through its match id).
        words = words.masked_fill(words == UNK_ID, PAD_ID)
        bins = position_bins(words, self.bins)  # (..., L, P)
        bags = torch.einsum("...lp,...ld->...pd", bins, self.embedding(words))
        return torch.tanh(self.mix(bags.flatten(-2)))


class MemNN(nn.Module):
    def __init__(self, config: MemNNConfig) -> None:
        super().__init__()
        self.config = config
        dim, hidden, hops = config.dim, config.hidden, config.max_hops
        # The paper's 3|W| roles: question words, a memory as input, a memory being scored.
        self.encode_question = SentenceEncoder(config.vocab_size, dim, config.bins)
        self.encode_support = SentenceEncoder(config.vocab_size, dim, config.bins)
        self.encode_candidate = SentenceEncoder(config.vocab_size, dim, config.bins)
        # O: s_O([x, o_h-1, o_h-2], m) = u(f_m, x, o_h-1, o_h-2) · Φy(m) + g(f_m, x, o_h-1, o_h-2)
        # with f_m the match and write-time features of memory m, and u, g one small net: the
        # paper's bilinear score with a query that depends on how m relates to the context. Φy(m)
        # enters linearly and f_m is the same for every memory far from the slots' nearest
        # mentions, so serving scores the bank with one matrix product over the cached Φy
        # matrix and computes the net for a bounded set of memories (see ``scan.py``).
        self.layout = config.hop_features.layout(CONTEXT_SLOTS)
        self.hop_context_layout = hop_context_layout(dim, hops)
        self.o_features = nn.Linear(self.layout.size, hidden, bias=False)  # its own layer: no gradient to the inputs
        self.o_context = nn.Linear(self.hop_context_layout.size, hidden)
        self.o_query = nn.Linear(hidden, dim)
        self.o_out = nn.Linear(hidden, 1)
        self.stop = nn.Sequential(nn.Linear(self.hop_context_layout.size, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        # R: s_R([x, o1, ..., ok], w) = h([x, o1..ok]) · (U_R w + occurrences of w in x, o1..o3)
        self.answer_context_layout = answer_context_layout(dim, hops, config.match_len)
        self.r_context = nn.Sequential(
            nn.Linear(self.answer_context_layout.size, 2 * hidden), nn.ReLU(), nn.Linear(2 * hidden, dim)
        )
        self.answer_embedding = nn.Embedding(config.vocab_size, dim)
        nn.init.normal_(self.answer_embedding.weight, std=0.1)
        self.answer_bias = nn.Parameter(torch.zeros(config.vocab_size))
        # A comma-joined answer is also the sum of its parts, so rare lists and paths compose
        # from words seen often. Row w of ``answer_part_ids`` holds the ids of w's parts.
        own_word = torch.full((config.vocab_size, config.answer_parts), PAD_ID, dtype=torch.long)
        own_word[:, 0] = torch.arange(config.vocab_size)
        self.answer_part_ids: Tensor
        self.register_buffer("answer_part_ids", own_word)
        self.part_embeddings = nn.ModuleList(
            nn.Embedding(config.vocab_size, dim, padding_idx=PAD_ID) for _ in range(config.answer_parts)
        )
        self.answer_occurrence = nn.Linear(config.answer_parts * ANSWER_SLOTS * config.bins, dim, bias=False)
        # how many words the answer has (a list), from the same h: 1 to answer_sizes
        self.answer_size = nn.Linear(dim, config.answer_sizes) if config.answer_sizes else None

    def set_answer_parts(self, part_ids: Tensor) -> None:
        """(vocab_size, answer_parts) word ids of each word's comma-separated parts, PAD_ID padded."""
        self.answer_part_ids.copy_(part_ids)

    # -- I: embeddings -------------------------------------------------------------------

    def embed_memories(self, words: Tensor) -> tuple[Tensor, Tensor]:
        """(..., L) memory ids -> (Φy embedding, Φx embedding), each (..., D). Cached by the store."""
        return self.encode_candidate(words), self.encode_support(words)

    def memory_batch(self, words: Tensor, matches: Tensor, mask: Tensor) -> MemoryBatch:
        as_candidate, as_support = self.embed_memories(words)
        return MemoryBatch(words, matches, mask, as_candidate, as_support)

    # -- O: one hop ----------------------------------------------------------------------

    def question_slot(self, memories: MemoryBatch, question: QuestionBatch) -> SlotFeatures:
        """The question's part of every hop's features: the same at every hop, so computed once."""
        written = memories.mask.sum(1)  # the question comes right after the last memory (padding aside)
        return slot_features(
            memories.matches, memories.mask, question.matches[:, None], written[:, None], self.config.hop_features
        )

    def hop_scores(
        self,
        memories: MemoryBatch,
        question: QuestionBatch,
        chosen: Tensor,
        question_slot: SlotFeatures | None = None,
    ) -> Tensor:
        """s_O for hop h = chosen.shape[1] + 1 over every memory, plus STOP last -> (B, N + 1).

        ``chosen`` (B, h-1) holds the memories picked so far (-1 where none). Memories already
        chosen, or absent, score -inf. ``question_slot`` is ``question_slot(...)``, if at hand.
        """
        n_memories = memories.mask.shape[1]
        context = self.hop_context(memories.as_support, self.encode_question(question.words), chosen)
        facts_slots = self.facts_slot(memories.matches, memories.mask, chosen)
        if question_slot is None:
            question_slot = self.question_slot(memories, question)
        features = assemble_hop_features(
            memories.mask, SlotFeatures.join([question_slot, facts_slots]), self.layout, self.config.write_time
        )
        query, feature_score = self.feature_terms(features, context)
        scores = (memories.as_candidate * query).sum(-1) + feature_score
        available = memories.mask & ~_picked(chosen, n_memories)
        scores = scores.masked_fill(~available, float("-inf"))
        return torch.cat([scores, self.stop(context)], dim=1)

    def hop_context(self, as_support: Tensor, q: Tensor, chosen: Tensor) -> Tensor:
        """What a hop knows before it looks at a candidate: [x, o_h-1, o_h-2, hop] -> (B, 3D + hops), laid
        out by ``hop_context_layout``. ``as_support`` (B, N, D) Φx of the memories, ``q`` (B, D) the
        encoded question."""
        hop = chosen.shape[1]
        previous, before_that = (_gather_rows(as_support, _column(chosen, hop - k)) for k in (1, 2))
        hop_one_hot = torch.zeros(len(chosen), self.config.max_hops)
        hop_one_hot[:, min(hop, self.config.max_hops - 1)] = 1.0
        parts = {"question": q, "fact_1": previous, "fact_2": before_that, "hop": hop_one_hot}
        return torch.cat(self.hop_context_layout.ordered(parts), dim=-1)

    def facts_slot(self, memory_matches: Tensor, memory_mask: Tensor, chosen: Tensor) -> SlotFeatures:
        """The previous facts' part of a hop's features: o_h-1, o_h-2 (-1 where none)."""
        previous = torch.stack([_column(chosen, chosen.shape[1] - k) for k in (1, 2)], dim=1)  # (B, 2)
        previous_matches = _gather_rows(memory_matches, previous)
        positions = torch.where(previous < 0, NO_SLOT, previous)
        return slot_features(memory_matches, memory_mask, previous_matches, positions, self.config.hop_features)

    def feature_terms(self, features: Tensor, context: Tensor) -> tuple[Tensor, Tensor]:
        """(B, N, F) hop features, (B, 3D + hops) context -> u (B, N, D) and g (B, N): s_O = u · Φy + g."""
        hidden = torch.relu(self.o_features(features) + self.o_context(context)[:, None])
        return self.o_query(hidden), self.o_out(hidden).squeeze(-1)

    # -- R: the answer -------------------------------------------------------------------

    def answer_scores(
        self,
        memories: MemoryBatch,
        question: QuestionBatch,
        chosen: Tensor,
        candidates: Tensor,
        unseen: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        """s_R([x, o1..ok], w) for every candidate word id in ``candidates`` (C,) -> (B, C); with
        ``unseen`` (B, U) match ids of words outside the vocabulary (PAD_ID: none), (B, C + U). Also
        R's score of each answer size, 1 to ``answer_sizes`` -> (B, S) (S = 0 without sizes)."""
        h, slots = self._answer_context(memories, question, chosen)
        sizes = self.answer_size(h) if self.answer_size is not None else h.new_zeros(len(h), 0)
        dim = self.config.dim
        parts = self.answer_part_ids[candidates]  # (C, P)
        part_vectors = sum(embed(parts[:, k]) for k, embed in enumerate(self.part_embeddings))
        occurrence = self._occurrence(slots, parts[None])
        candidate_vectors = (
            self.answer_embedding(candidates)[None] + part_vectors[None] + self.answer_occurrence(occurrence)
        )
        assert candidate_vectors.shape[-1] == dim
        scores = (h[:, None] * candidate_vectors).sum(-1) + self.answer_bias[candidates]
        if unseen is None:
            return scores, sizes
        # A word no vocabulary holds is known to R only by where it occurs: its occurrence features.
        unseen_parts = torch.zeros(*unseen.shape, self.config.answer_parts, dtype=torch.long)
        unseen_parts[..., 0] = unseen
        unseen_vectors = self.answer_occurrence(self._occurrence(slots, unseen_parts))  # (B, U, D)
        unseen_scores = (h[:, None] * unseen_vectors).sum(-1).masked_fill(unseen == PAD_ID, float("-inf"))
        return torch.cat([scores, unseen_scores], dim=1), sizes

    def _answer_context(self, memories: MemoryBatch, question: QuestionBatch, chosen: Tensor) -> tuple[Tensor, Tensor]:
        """h([x, o1..ok]) (B, D), and the question's and facts' match ids (B, 1 + K, L) R's occurrences read."""
        q = self.encode_question(question.words)
        valid = chosen >= 0  # (B, K)
        facts = _gather_rows(memories.as_support, chosen)  # (B, K, D), zero rows where none
        first_facts = [_slot(facts, k) for k in range(R_FACTS)]
        count = torch.nn.functional.one_hot(valid.sum(1).clamp(max=self.config.max_hops), self.config.max_hops + 1)
        width = max(question.matches.shape[-1], memories.matches.shape[-1])
        fact_matches = fit_width(_gather_rows(memories.matches, chosen), width)  # (B, K, L)
        slot_matches = [fit_width(question.matches, width)] + [_slot(fact_matches, k) for k in range(R_FACTS)]
        pairs = [pair_match(slot_matches[a], slot_matches[b], self.config.match_len) for a, b in R_PAIRS]
        context = {
            "question": q,
            "first_facts": torch.cat(first_facts, dim=-1),
            "all_facts": facts.sum(1),
            "count": count.float(),
            "pairs": torch.cat(pairs, dim=-1),
        }
        h = self.r_context(torch.cat(self.answer_context_layout.ordered(context), dim=-1))  # (B, D)
        return h, torch.cat([slot_matches[0][:, None], fact_matches], dim=1)

    def _occurrence(self, slots: Tensor, parts: Tensor) -> Tensor:
        """Where each part of each candidate ((B or 1, C, P) ids) occurs in the question and in each
        fact (slots, (B, 1 + K, L)), by position bin; facts after the third are summed."""
        occurs = (slots[:, None, None] == parts[:, :, :, None, None]) & (parts != PAD_ID)[:, :, :, None, None]
        occurs &= (slots != PAD_ID)[:, None, None]  # (B, C, P, 1 + K, L)
        occurrence = torch.einsum("bcksl,bslq->bcksq", occurs.float(), position_bins(slots, self.config.bins))
        first = fit_slots(occurrence[:, :, :, : ANSWER_SLOTS - 1], ANSWER_SLOTS - 1)
        later = occurrence[:, :, :, ANSWER_SLOTS - 1 :].sum(3, keepdim=True)
        return torch.cat([first, later], dim=3).flatten(2)  # (B, C, P * ANSWER_SLOTS * bins)

    # -- inference -----------------------------------------------------------------------

    @torch.no_grad()
    def infer(
        self,
        memories: MemoryBatch,
        question: QuestionBatch,
        candidates: Tensor,
        max_hops: int | None = None,
        beam: int | None = None,
    ) -> Inference:
        """O then R. O keeps the ``beam`` best hop sequences by their summed s_O (STOP included);
        ``beam=1`` is the paper's greedy o_h = argmax s_O. Hops end at STOP or ``max_hops``."""
        beam = beam or self.config.beam
        batch, n_memories = memories.mask.shape
        wide_memories = MemoryBatch(*(t.repeat_interleave(beam, dim=0) for t in vars(memories).values()))
        wide_question = QuestionBatch(*(t.repeat_interleave(beam, dim=0) for t in vars(question).values()))
        question_slot = self.question_slot(wide_memories, wide_question)

        def score(chosen: Tensor, live: Tensor) -> Tensor:
            return self.hop_scores(
                MemoryBatch(*(t[live] for t in vars(wide_memories).values())),
                QuestionBatch(*(t[live] for t in vars(wide_question).values())),
                chosen,
                question_slot.rows(live),
            )

        chosen, hop_scores = search_hops(score, batch, n_memories, max_hops, beam, self.config.max_hops)
        return self.respond(memories, question, chosen, hop_scores, candidates)

    def respond(
        self, memories: MemoryBatch, question: QuestionBatch, chosen: Tensor, hop_scores: Tensor, candidates: Tensor
    ) -> Inference:
        """R over the memories O chose. ``memories`` may hold only the chosen rows, with ``chosen``
        indexing them: R reads nothing else."""
        unseen = self.unseen_words(memories, chosen)
        answer_scores, sizes = self.answer_scores(
            memories, question, chosen, candidates, unseen if unseen.numel() else None
        )
        return Inference(chosen, hop_scores, answer_scores, unseen, answer_size(sizes))

    def unseen_words(self, memories: MemoryBatch, chosen: Tensor) -> Tensor:
        """(B, U) match ids above the vocabulary in the chosen memories: R may answer with them."""
        facts = _gather_rows(memories.matches, chosen).flatten(1)  # (B, K * L), zeros where none
        rows = [sorted({int(m) for m in row if int(m) >= self.config.vocab_size}) for row in facts]
        width = max([len(row) for row in rows] + [0])
        unseen = torch.full((len(rows), width), PAD_ID, dtype=torch.long)
        for b, row in enumerate(rows):
            unseen[b, : len(row)] = torch.tensor(row, dtype=torch.long)
        return unseen


def answer_size(size_scores: Tensor) -> Tensor:
    """(B, S) R's scores of answer sizes 1 to S -> (B,) the size it answers with (1 without sizes)."""
    if not size_scores.shape[1]:
        return torch.ones(len(size_scores), dtype=torch.long)
    return size_scores.argmax(1) + 1


def answered(scores: Tensor, size: int) -> list[int]:
    """The columns of R's scores (C + U,) it answers with: its ``size`` best, best first."""
    return scores.topk(min(int(size), len(scores))).indices.tolist()


def answer_candidates(vocab_size: int) -> Tensor:
    """R's default candidate set: every vocabulary word but padding and unknown."""
    return torch.arange(FIRST_WORD_ID, vocab_size)


def _picked(chosen: Tensor, n_memories: int) -> Tensor:
    """(B, K) chosen indices, -1 for none -> (B, N) True where a memory was chosen."""
    picked = torch.zeros(chosen.shape[0], n_memories + 1, dtype=torch.bool)
    picked.scatter_(1, torch.where(chosen < 0, n_memories, chosen), True)
    return picked[:, :n_memories]


def _column(index: Tensor, k: int) -> Tensor:
    """index[:, k] or -1 where k is out of range -> (B,)."""
    if 0 <= k < index.shape[1]:
        return index[:, k]
    return torch.full((index.shape[0],), -1, dtype=torch.long)


def _gather_rows(table: Tensor, index: Tensor) -> Tensor:
    """table (B, N, ...) rows at index (B,) or (B, K); -1 gives a zero row."""
    single = index.dim() == 1
    index = index[:, None] if single else index
    safe = index.clamp(min=0)
    expand = safe.reshape(*safe.shape, *([1] * (table.dim() - 2))).expand(*safe.shape, *table.shape[2:])
    rows = table.gather(1, expand)
    rows = rows * (index >= 0).reshape(*index.shape, *([1] * (table.dim() - 2)))
    return rows[:, 0] if single else rows


def fit_slots(occurrence: Tensor, slots: int) -> Tensor:
    """Zero-pad dimension 3 of (B, C, P, S, bins) up to ``slots``."""
    missing = slots - occurrence.shape[3]
    if missing <= 0:
        return occurrence
    return torch.cat([occurrence, occurrence.new_zeros(*occurrence.shape[:3], missing, occurrence.shape[4])], dim=3)


def _slot(rows: Tensor, k: int) -> Tensor:
    """rows[:, k] or zeros where the batch has fewer than k + 1 rows."""
    if k < rows.shape[1]:
        return rows[:, k]
    return (
        torch.zeros_like(rows[:, 0]) if rows.shape[1] else torch.zeros(rows.shape[0], *rows.shape[2:], dtype=rows.dtype)
    )
