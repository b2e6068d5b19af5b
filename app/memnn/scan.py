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

from .features import NEARBY, RECENT
from .model import Inference, MemNN, MemoryBatch, QuestionBatch
from .o_tables import o_tables, time_code
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
class _SlotMatches:
    """One context slot's match features: the memories near its words, and per memory the sum of
    its rank-delta and positional rows (``OTables``)."""

    rows: np.ndarray  # ascending, unique
    rows_sum: np.ndarray  # (len(rows), H)


@dataclass
class _Terms:
    """One sequence's hop: the memories it scores exactly, and their s_O = u · Φy + g terms."""

    rows: np.ndarray  # ascending: the near memories and each segment's far representative
    u: np.ndarray  # (len(rows), D)
    g: np.ndarray  # (len(rows),)
    far: dict[int, int]  # segment -> a far memory in it (its u, g stand for every far one there)


class BankScan:
    """One question over one bank: ``hop_scores`` is ``MemNN.hop_scores`` computed by the scan.

    The features of a near memory are a few table rows (``OTables``); each slot's match rows are
    computed once per question and fact, and reused by every hop and beam sequence that has it.

    ``hashed=True`` is the paper's hashing by words instead: only the near memories (those that
    hold a word of the question or of a previous fact near it, the newest, and the neighbours
    of the previous facts) are scored, every other memory scores -inf. No pass over the matrix:
    faster on a large bank, and approximate (``bench`` measures how often it agrees).
    """

    def __init__(self, model: MemNN, view: BankView, question: QuestionBatch, hashed: bool = False) -> None:
        self.view, self.hashed = view, hashed
        self.config = model.config
        self.tables = o_tables(model)
        dim = self.config.dim
        with torch.no_grad():
            encoded = model.encode_question(question.words)[0].numpy()  # the same at every hop
        self.context = [self.tables.context[k * dim : (k + 1) * dim] for k in range(3)]
        self.question_context = encoded @ self.context[0] + self.tables.context_bias
        self.hop_context = self.tables.context[3 * dim :]
        self.stop_context = [self.tables.stop_hidden[k * dim : (k + 1) * dim] for k in range(3)]
        self.question_stop = encoded @ self.stop_context[0] + self.tables.stop_hidden_bias
        self.hop_stop = self.tables.stop_hidden[3 * dim :]
        question_head = fit_heads(question.matches.numpy(), self.config.match_len)[0]
        self._matches: dict[tuple[int, int], _SlotMatches] = {}
        self.question_matches = self._slot_matches(0, view.size, question_head)

    @torch.no_grad()
    def hop_scores(self, chosen: Tensor, live: Tensor | None = None) -> Tensor:  # noqa: ARG002 (a HopScorer)
        """s_O and STOP -> (rows, N + 1) for sequences ``chosen`` (rows, h), -1 where none."""
        n, hop = self.view.size, min(chosen.shape[1], self.config.max_hops - 1)
        facts = [_previous(row) for row in chosen.tolist()]
        terms = [self._terms(row_facts, hop) for row_facts in facts]
        scores = np.empty((len(facts), n + 1), dtype=np.float32)  # written in place: no pass over N is repeated
        self._far_scores(scores[:, :n], facts, terms)
        for r, (row, term) in enumerate(zip(chosen.tolist(), terms, strict=True)):
            scores[r, term.rows] = np.einsum("kd,kd->k", self.view.candidate[term.rows], term.u) + term.g
            scores[r, [m for m in row if m >= 0]] = -np.inf
            stop_hidden = self.question_stop + self.hop_stop[hop] + self._fact_sum(self.stop_context, facts[r])
            scores[r, n] = np.maximum(stop_hidden, 0.0) @ self.tables.stop_out + self.tables.stop_out_bias
        return torch.from_numpy(scores)

    def _fact_sum(self, weights: list[np.ndarray], facts: list[int]) -> np.ndarray:
        """Σ over o_h-1, o_h-2 of Φx(fact) times its block of a context weight (zero where none)."""
        total = np.zeros(weights[0].shape[1], dtype=np.float32)
        for k, fact in enumerate(facts, 1):
            if fact >= 0:
                total += self.view.support[fact] @ weights[k]
        return total

    # -- the near memories and their features -------------------------------------------

    def _slot_matches(self, slot: int, position: int, head: np.ndarray) -> _SlotMatches:
        """Slot ``slot`` (0: the question, at the bank's end; 1, 2: o_h-1, o_h-2 at ``position``) with
        match ids ``head``: the ``near_mentions`` mentions of each word nearest it on either side,
        their rank and positional rows summed per memory."""
        key = (slot, position)
        if key in self._matches:
            return self._matches[key]
        k, m, ranks = self.config.near_mentions, self.config.match_len, self.config.rank_buckets
        pieces: list[tuple[np.ndarray, int, int, np.ndarray]] = []  # rows, word, side, rank
        for i, word in enumerate(head.tolist()):
            if word == PAD_ID:
                continue
            rows = self.view.index.rows(word)
            before = int(np.searchsorted(rows, position, side="left"))
            up_to = int(np.searchsorted(rows, position, side="right"))
            start = max(0, before - k)
            pieces.append((rows[start:before], i, 0, before - 1 - np.arange(start, before)))
            after = rows[up_to : up_to + k]
            pieces.append((after, i, 1, np.arange(len(after))))
        rows = np.concatenate([p[0] for p in pieces] or [np.zeros(0, dtype=np.int32)]).astype(np.int64)
        if not len(rows):  # no memory holds a word of the slot
            found = _SlotMatches(rows, np.zeros((0, len(self.tables.out)), dtype=np.float32))
            self._matches[key] = found
            return found
        sizes = [len(p[0]) for p in pieces]
        words = np.repeat([p[1] for p in pieces], sizes)
        sides = np.repeat([p[2] for p in pieces], sizes)
        rank = np.minimum(np.concatenate([p[3] for p in pieces]), ranks - 1)
        delta_at = ((slot * m + words) * 2 + sides) * ranks + rank
        entry, column = np.nonzero(self.view.heads[rows] == head[words][:, None])  # slot word i = memory word j
        positional_at = (slot * m + words[entry]) * m + column
        hidden = self.tables.positional.shape[-1]
        vectors = np.concatenate(
            [
                self.tables.rank_delta.reshape(-1, hidden)[delta_at],
                self.tables.positional.reshape(-1, hidden)[positional_at],
            ]
        )
        owners = np.concatenate([rows, rows[entry]])
        order = np.argsort(owners, kind="stable")
        owners = owners[order]
        starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
        found = _SlotMatches(owners[starts], np.add.reduceat(vectors[order], starts, axis=0))
        self._matches[key] = found
        return found

    def _terms(self, facts: list[int], hop: int) -> _Terms:
        n, tables = self.view.size, self.tables
        matches = [self.question_matches]
        found = [np.arange(max(0, n - RECENT), n), self.question_matches.rows]
        for slot, fact in enumerate(facts, 1):
            if fact >= 0:
                matches.append(self._slot_matches(slot, fact, self.view.heads[fact]))
                found += [np.arange(max(0, fact - NEARBY), min(n, fact + NEARBY + 1)), matches[-1].rows]
        near = np.unique(np.concatenate(found))
        far = {} if self.hashed else self._far_representatives(near, facts)
        rows = np.union1d(near, np.fromiter(far.values(), dtype=np.int64, count=len(far))) if far else near
        context = self.question_context + self.hop_context[hop] + self._fact_sum(self.context, facts)
        pre = tables.question_rows(n - rows) + (context + tables.constant)
        for slot, fact in enumerate(facts, 1):
            pre += tables.fact_time[slot][time_code(rows, fact)]
        for slot_matches in matches:
            pre[np.searchsorted(rows, slot_matches.rows)] += slot_matches.rows_sum
        hidden = np.maximum(pre, 0.0)
        return _Terms(rows, hidden @ tables.query + tables.query_bias, hidden @ tables.out + tables.out_bias, far)

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

    def _far_scores(self, out: np.ndarray, facts: list[list[int]], terms: list[_Terms]) -> None:
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
            for r, term in enumerate(terms):
                representative = term.far.get(int(np.searchsorted(row_bounds[r], start, side="right")))
                if representative is not None:
                    at = int(np.searchsorted(term.rows, representative))
                    queries[:, r], offsets[r] = term.u[at], term.g[at]
            block = self.view.candidate[start:end]
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


def _previous(chosen: list[int]) -> list[int]:
    """o_h-1, o_h-2 of a sequence (-1 where none)."""
    picked = [m for m in chosen if m >= 0]
    return [picked[-k] if len(picked) >= k else -1 for k in (1, 2)]
