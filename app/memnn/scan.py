"""O over a whole bank: one pass over the cached Φy matrix per hop, plus a bounded amount of work.

s_O(m) = u(f_m, ctx) · Φy(m) + g(f_m, ctx) (see ``MemNN``). A memory's features f_m are the same for
every memory that is
- not among the ``near_mentions`` mentions of a slot word nearest that slot, on either side,
- older than the ``RECENT`` newest memories,
- farther than ``NEARBY`` from each previous fact,
and that lies on the same side of each previous fact. So between two consecutive previous facts
every such *far* memory has the same (u, g), and its score is a row of one matrix product of the
cached Φy matrix with u. The *near* memories, a few hundred at most whatever the bank's size, get
their features computed exactly by the model's own ``mention_features``, from mention ranks read
off an inverted index of words (the paper's word hashing, used here to find them, not to skip any).
The scores equal ``MemNN.hop_scores`` over the same bank up to float rounding; tests hold them to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from .features import NEARBY, NO_SLOT, RECENT, SlotFeatures, assemble_hop_features, mention_features, word_equality
from .model import Inference, MemNN, MemoryBatch, QuestionBatch
from .text import PAD_ID

WordRows = dict[int, "Postings"]


@dataclass
class Postings:
    """The rows holding one word, ascending, in a buffer grown by doubling."""

    buffer: np.ndarray = field(default_factory=lambda: np.zeros(4, dtype=np.int32))
    size: int = 0

    @property
    def rows(self) -> np.ndarray:
        return self.buffer[: self.size]

    def extend(self, rows: np.ndarray) -> None:
        end = self.size + len(rows)
        if end > len(self.buffer):
            grown = np.zeros(max(end, 2 * len(self.buffer)), dtype=np.int32)
            grown[: self.size] = self.rows
            self.buffer = grown
        self.buffer[self.size : end] = rows
        self.size = end


class WordIndex:
    """Match id -> the rows whose first ``width`` tokens hold it: the paper's hashing by words."""

    def __init__(self, width: int) -> None:
        self.width = width
        self._postings: WordRows = {}
        self.size = 0  # rows indexed

    def append(self, heads: np.ndarray) -> None:
        """Index the next ``len(heads)`` rows ((n, width) match ids), in one vectorised pass."""
        n = len(heads)
        rows = np.repeat(np.arange(self.size, self.size + n, dtype=np.int64), heads.shape[1])
        words = heads.reshape(-1).astype(np.int64)
        keep = words != PAD_ID
        rows, words = rows[keep], words[keep]
        order = np.lexsort((rows, words))
        rows, words = rows[order], words[order]
        fresh = np.ones(len(words), dtype=bool)  # a word twice in one sentence is one posting
        fresh[1:] = (words[1:] != words[:-1]) | (rows[1:] != rows[:-1])
        rows, words = rows[fresh], words[fresh]
        self.size += n
        if not len(words):
            return
        starts = np.flatnonzero(np.r_[True, words[1:] != words[:-1]])
        ends = np.r_[starts[1:], len(words)]
        for word, start, end in zip(words[starts].tolist(), starts.tolist(), ends.tolist(), strict=True):
            self._postings.setdefault(word, Postings()).extend(rows[start:end])

    def rows(self, word: int) -> np.ndarray:
        found = self._postings.get(word)
        return found.rows if found is not None else np.zeros(0, dtype=np.int32)

    def nbytes(self) -> int:
        return sum(p.buffer.nbytes for p in self._postings.values())

    def to_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(words, starts, rows): every word's rows, one after another (for a snapshot)."""
        words = np.fromiter(self._postings, dtype=np.int64, count=len(self._postings))
        sizes = np.fromiter((p.size for p in self._postings.values()), dtype=np.int64, count=len(words))
        rows = np.concatenate([p.rows for p in self._postings.values()] or [np.zeros(0, dtype=np.int32)])
        return words, np.r_[0, np.cumsum(sizes)], rows

    @staticmethod
    def from_arrays(width: int, size: int, words: np.ndarray, starts: np.ndarray, rows: np.ndarray) -> WordIndex:
        index = WordIndex(width)
        for word, start, end in zip(words.tolist(), starts[:-1].tolist(), starts[1:].tolist(), strict=True):
            index._postings[word] = Postings(rows[start:end], end - start)  # views: a later extend copies
        index.size = size
        return index


@dataclass
class Sentences:
    """Every memory's match ids, ragged: one flat array, and where each memory's ids start."""

    flat: np.ndarray  # int32
    starts: np.ndarray  # (n + 1,) int64

    @staticmethod
    def of(padded: np.ndarray) -> Sentences:
        """From (n, L) ids, PAD_ID padded at the end of each row."""
        lengths = (padded != PAD_ID).sum(1)
        return Sentences(padded[padded != PAD_ID].astype(np.int32), np.r_[0, np.cumsum(lengths)].astype(np.int64))

    def padded(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), longest of them) int64 ids, PAD_ID padded."""
        lengths = self.starts[rows + 1] - self.starts[rows]
        out = np.full((len(rows), max(1, int(lengths.max(initial=1)))), PAD_ID, dtype=np.int64)
        out[ragged_rows(lengths), ragged_columns(lengths)] = self.flat[ragged_sources(self.starts[rows], lengths)]
        return out

    def take(self, rows: np.ndarray) -> Sentences:
        lengths = self.starts[rows + 1] - self.starts[rows]
        flat = self.flat[ragged_sources(self.starts[rows], lengths)]
        return Sentences(flat, np.r_[0, np.cumsum(lengths)].astype(np.int64))


def ragged_rows(lengths: np.ndarray) -> np.ndarray:
    """For items of rows ``lengths`` long, laid out one row after another: each item's row."""
    return np.repeat(np.arange(len(lengths)), lengths)


def ragged_columns(lengths: np.ndarray) -> np.ndarray:
    """... and each item's place within its row."""
    return np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)


def ragged_sources(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Where each item of rows starting at ``starts`` lies in the flat array."""
    return np.repeat(starts, lengths) + ragged_columns(lengths)


@dataclass
class BankView:
    """What O reads of a bank: the cached embeddings and each memory's match ids, in write order."""

    candidate: np.ndarray  # (N, D) float32, C-contiguous: Φy, the memory being scored
    support: np.ndarray  # (N, D) float32: Φx, the memory as input of a later hop
    heads: np.ndarray  # (N, match_len) int32: the ids the hop features compare, PAD_ID padded
    sentences: Sentences  # every id of every memory (R reads the chosen memories' whole sentences)
    index: WordIndex

    @property
    def size(self) -> int:
        return len(self.candidate)

    @staticmethod
    def of(candidate: np.ndarray, support: np.ndarray, matches: np.ndarray, match_len: int) -> BankView:
        """From (N, L) match ids, PAD_ID padded."""
        heads = fit_heads(matches, match_len)
        index = WordIndex(match_len)
        index.append(heads)
        return BankView(
            np.ascontiguousarray(candidate), np.ascontiguousarray(support), heads, Sentences.of(matches), index
        )

    def rows(self, rows: np.ndarray) -> MemoryBatch:
        """The given rows as a one-bank MemoryBatch (what R reads of the chosen memories)."""
        matches = torch.from_numpy(self.sentences.padded(rows))[None]
        return MemoryBatch(
            words=matches,
            matches=matches,
            mask=torch.ones(1, len(rows), dtype=torch.bool),
            as_candidate=torch.from_numpy(self.candidate[rows])[None],
            as_support=torch.from_numpy(self.support[rows])[None],
        )


def fit_heads(matches: np.ndarray, width: int) -> np.ndarray:
    """(n, L) ids -> (n, width) int32: each memory's first ``width`` ids, PAD_ID padded."""
    out = np.full((len(matches), width), PAD_ID, dtype=np.int32)
    take = min(width, matches.shape[1])
    out[:, :take] = matches[:, :take]
    return out


@dataclass
class _Slot:
    position: int  # NO_SLOT for an empty fact slot
    head: np.ndarray  # (M,) match ids


@dataclass
class _Near:
    """The memories one hop of one sequence computes features for."""

    rows: np.ndarray  # ascending, in the bank
    newer_before: np.ndarray  # (S, M, len(rows)) mention ranks; near_mentions where not near
    nearer_after: np.ndarray
    far: dict[int, int]  # segment -> a far memory in it (its features stand for all far ones there)


class BankScan:
    """One question over one bank: ``hop_scores`` is ``MemNN.hop_scores`` computed by the scan.

    ``hashed=True`` is the paper's hashing by words instead: only the near memories (those that
    hold a word of the question or of a previous fact near it, the newest, and the neighbours
    of the previous facts) are scored, every other memory scores -inf. No pass over the matrix:
    faster on a large bank, and approximate (``bench`` measures how often it agrees).
    """

    def __init__(self, model: MemNN, view: BankView, question: QuestionBatch, hashed: bool = False) -> None:
        self.model, self.view, self.question, self.hashed = model, view, question, hashed
        self.config = model.config
        self.candidate = view.candidate
        self.support = torch.from_numpy(view.support)
        self.question_head = fit_heads(question.matches.numpy(), self.config.match_len)[0].astype(np.int64)
        with torch.no_grad():
            self.encoded_question = model.encode_question(question.words)  # (1, D): the same at every hop
        self._mentions: dict[tuple[int, int], tuple[np.ndarray, int, int]] = {}

    @torch.no_grad()
    def hop_scores(self, chosen: Tensor, live: Tensor | None = None) -> Tensor:  # noqa: ARG002 (a HopScorer)
        """s_O and STOP -> (rows, N + 1) for sequences ``chosen`` (rows, h), -1 where none."""
        rows = len(chosen)
        n = self.view.size
        support = self.support[None].expand(rows, n, self.config.dim)
        context = self.model.hop_context(support, self.encoded_question.expand(rows, -1), chosen)
        facts = [[int(m) for m in _previous(row)] for row in chosen]
        near = [self._near(row_facts) for row_facts in facts]
        terms = self._feature_terms(near, facts, context)
        scores = np.empty((rows, n + 1), dtype=np.float32)  # written in place: no pass over N is repeated
        self._far_scores(scores[:, :n], facts, near, terms)
        for r in range(rows):
            u, g = terms[r]
            exact = (torch.from_numpy(self.candidate[near[r].rows]) * u).sum(-1) + g
            scores[r, near[r].rows] = exact.numpy()
            picked = [int(m) for m in chosen[r] if m >= 0]
            scores[r, picked] = -np.inf
        scores[:, n] = self.model.stop(context)[:, 0].numpy()
        return torch.from_numpy(scores)

    # -- which memories are near --------------------------------------------------------

    def _slots(self, facts: list[int]) -> list[_Slot]:
        """The question, then o_h-1 and o_h-2: the slot order of ``MemNN.hop_scores``."""
        empty = np.full(self.config.match_len, PAD_ID, dtype=np.int64)
        slots = [_Slot(self.view.size, self.question_head)]
        for fact in facts:
            head = self.view.heads[fact].astype(np.int64) if fact >= 0 else empty
            slots.append(_Slot(fact if fact >= 0 else NO_SLOT, head))
        return slots

    def _mention_rows(self, word: int, position: int) -> tuple[np.ndarray, int, int]:
        """(rows mentioning ``word``, how many lie before ``position``, how many up to it)."""
        key = (word, position)
        if key not in self._mentions:
            rows = self.view.index.rows(word)
            before = int(np.searchsorted(rows, position, side="left"))
            up_to = int(np.searchsorted(rows, position, side="right"))
            self._mentions[key] = (rows, before, up_to)
        return self._mentions[key]

    def _near(self, facts: list[int]) -> _Near:
        n, k = self.view.size, self.config.near_mentions
        slots = self._slots(facts)
        found: list[np.ndarray] = [np.arange(max(0, n - RECENT), n)]
        for fact in facts:
            if fact >= 0:
                found.append(np.arange(max(0, fact - NEARBY), min(n, fact + NEARBY + 1)))
        ranked: list[tuple[int, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        for s, slot in enumerate(slots):
            if slot.position == NO_SLOT:
                continue
            for i, word in enumerate(slot.head.tolist()):
                if word == PAD_ID:
                    continue
                rows, before, up_to = self._mention_rows(word, slot.position)
                near_before = rows[max(0, before - k) : before]
                near_after = rows[up_to : up_to + k]
                found += [near_before, near_after]
                ranked.append((s, i, near_before, before - 1 - np.arange(max(0, before - k), before), near_after,
                               np.arange(len(near_after))))  # fmt: skip
        near_rows = np.unique(np.concatenate(found))
        far = {} if self.hashed else self._far_representatives(near_rows, facts)
        rows = np.union1d(near_rows, np.array(list(far.values()), dtype=np.int64))
        newer_before = np.full((len(slots), self.config.match_len, len(rows)), k, dtype=np.int64)
        nearer_after = newer_before.copy()
        for s, i, before_rows, before_ranks, after_rows, after_ranks in ranked:
            newer_before[s, i, np.searchsorted(rows, before_rows)] = before_ranks
            nearer_after[s, i, np.searchsorted(rows, after_rows)] = after_ranks
        return _Near(rows, newer_before, nearer_after, far)

    def _far_representatives(self, near_rows: np.ndarray, facts: list[int]) -> dict[int, int]:
        """Segment j (memories with j of the previous facts before them) -> its first far memory."""
        bounds = [-1, *sorted(f for f in facts if f >= 0), self.view.size]
        far = {}
        for j in range(len(bounds) - 1):
            start, end = bounds[j] + 1, bounds[j + 1]
            taken = near_rows[(near_rows >= start) & (near_rows < end)]
            # the first row of [start, end) that is not near: rows before the first gap are all taken
            gaps = np.flatnonzero(taken != np.arange(start, start + len(taken)))
            first_free = start + (int(gaps[0]) if len(gaps) else len(taken))
            if first_free < end:
                far[j] = first_free
        return far

    # -- the scores -------------------------------------------------------------------------

    def _feature_terms(self, near: list[_Near], facts: list[list[int]], context: Tensor) -> list[tuple[Tensor, Tensor]]:
        """Per sequence, u (rows, D) and g (rows,) of its near memories and far representatives:
        one batched pass, each sequence's rows padded to the longest by repeating its first."""
        n, m = self.view.size, self.config.match_len
        width = max(len(item.rows) for item in near)
        padded = [np.r_[item.rows, np.full(width - len(item.rows), item.rows[0])] for item in near]
        columns = [np.r_[np.arange(len(item.rows)), np.zeros(width - len(item.rows), dtype=np.int64)] for item in near]
        slots = [self._slots(row) for row in facts]
        heads = torch.from_numpy(self.view.heads[np.stack(padded)].astype(np.int64))
        slot_heads = torch.from_numpy(np.stack([np.stack([slot.head for slot in row]) for row in slots]))
        mask = torch.ones(len(near), width, dtype=torch.bool)
        positions = torch.from_numpy(np.stack(padded))
        slot_positions = torch.tensor([[slot.position for slot in row] for row in slots])
        newer_before = np.stack([item.newer_before[:, :, at] for item, at in zip(near, columns, strict=True)])
        nearer_after = np.stack([item.nearer_after[:, :, at] for item, at in zip(near, columns, strict=True)])
        features: SlotFeatures = mention_features(
            word_equality(heads, mask, slot_heads, m),
            torch.from_numpy(newer_before),
            torch.from_numpy(nearer_after),
            positions,
            slot_positions,
            self.config.rank_buckets,
            self.config.near_mentions,
        )
        hop_features = assemble_hop_features(mask, features, self.config.write_time, ages=(n - 1 - positions))
        u, g = self.model.feature_terms(hop_features, context)
        return [(u[r, : len(item.rows)], g[r, : len(item.rows)]) for r, item in enumerate(near)]

    def _far_scores(
        self, out: np.ndarray, facts: list[list[int]], near: list[_Near], terms: list[tuple[Tensor, Tensor]]
    ) -> None:
        """Into ``out`` (rows, N): every memory scored as if far, in one pass over Φy: u_seg · Φy + g_seg.
        Hashed, no memory is: -inf for all."""
        n, rows = self.view.size, len(facts)
        if self.hashed:
            out[:] = -np.inf
            return
        row_bounds = [sorted(f for f in row if f >= 0) for row in facts]
        edges = [0, *sorted({f for row in row_bounds for f in row}), n]
        for start, end in zip(edges[:-1], edges[1:], strict=True):
            if start == end:
                continue
            queries = np.zeros((self.config.dim, rows), dtype=np.float32)
            offsets = np.zeros(rows, dtype=np.float32)
            for r in range(rows):
                segment = int(np.searchsorted(row_bounds[r], start, side="right"))
                representative = near[r].far.get(segment)
                if representative is not None:
                    at = int(np.searchsorted(near[r].rows, representative))
                    u, g = terms[r]
                    queries[:, r], offsets[r] = u[at].numpy(), float(g[at])
            block = self.candidate[start:end]
            if rows == 1:  # the matrix-vector product itself, written where it belongs
                np.dot(block, queries[:, 0], out=out[0, start:end])
            else:
                out[:, start:end] = (block @ queries).T
            out[:, start:end] += offsets[:, None]


@torch.no_grad()
def infer(
    model: MemNN,
    view: BankView,
    question: QuestionBatch,
    candidates: Tensor,
    max_hops: int | None = None,
    beam: int | None = None,
    scan: BankScan | None = None,
) -> Inference:
    """``MemNN.infer`` for one question over a whole bank, by the scan: O's beam search, then R
    over the chosen memories alone. ``scan``: this question's BankScan, if at hand."""
    scan = scan or BankScan(model, view, question)
    chosen, hop_scores = model.search_hops(scan.hop_scores, 1, view.size, max_hops, beam or model.config.beam)
    picked = chosen[0][chosen[0] >= 0]
    facts = view.rows(picked.numpy() if len(picked) else np.zeros(1, dtype=np.int64))  # R gathers from it
    local = torch.full_like(chosen, -1)
    local[0, : len(picked)] = torch.arange(len(picked))
    found = model.respond(facts, question, local, hop_scores, candidates)
    return Inference(chosen, found.hop_scores, found.answer_scores, found.unseen)


def _previous(chosen: Tensor) -> list[int]:
    """o_h-1, o_h-2 of a sequence (-1 where none)."""
    picked = [int(m) for m in chosen if m >= 0]
    return [picked[-k] if len(picked) >= k else -1 for k in (1, 2)]
