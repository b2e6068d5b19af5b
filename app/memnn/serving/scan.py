"""O over a whole bank: one pass over the cached Φy matrix per hop, plus a bounded amount of work.

s_O(m) = u(f_m, ctx) · Φy(m) + g(f_m, ctx) (see ``MemNN``). A memory's features f_m are the same for
every memory that is
- not among the ``near_mentions`` mentions of a slot word nearest that slot, on either side,
- older than the ``RECENT`` newest memories,
- farther than ``NEARBY`` from each previous fact,
and that lies on the same side of each previous fact. So between two consecutive previous facts
every such *far* memory has the same (u, g), and its score is a row of one matrix product of the
cached Φy matrix with u. The *near* memories, a few hundred at most whatever the bank's size, get
their features exactly, as sums of weight rows (``OTables``), from mention ranks read off an
inverted index of words (the paper's word hashing, used here to find them, not to skip any).
The scores equal ``MemNN.hop_scores`` over the same bank up to float rounding; tests hold them to it."""

from __future__ import annotations

import sys
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from ..features import NEARBY, RECENT, RankSide
from ..model import Inference, MemNN, QuestionBatch
from ..search import search_hops
from ..text import PAD_ID
from .bank import BankView, object_bytes
from .o_tables import QUESTION_TIME, far_code, o_tables, time_code
from .r_tables import answer_scores
from .ragged import fit_heads, ragged_columns
from .sentence_tables import sentence_tables


@dataclass(slots=True)
class _SlotMatches:
    """One context slot's match features: the memories near its words, and per memory the sum of
    its rank-delta and positional rows (``OTables``)."""

    rows: np.ndarray  # ascending, unique
    rows_sum: np.ndarray  # (len(rows), H)
    near: np.ndarray  # the memories a hop with this slot scores exactly: ``rows``, and for a fact its neighbours

    def nbytes(self) -> int:
        arrays = {id(a): sys.getsizeof(a) for a in (self.rows, self.rows_sum, self.near)}  # ``near`` may be ``rows``
        return sys.getsizeof(self) + sum(arrays.values())


# Score rows smaller than this come from the heap, which hands back recently freed pages: made afresh
# for each question they cost no page faults, so a bank keeps none of them between its questions
# (the same 1 MiB as malloc's mmap threshold, ``app.process_memory``).
KEPT_SCORE_ROWS_BYTES = 1 << 20


class ScoreRows:
    """Where a bank's hop scores are computed, kept from question to question when they are large
    (one question at a time: the bank's lock). An array as large as the bank, made afresh at every
    hop, is faulted in a page at a time: at a million memories that was most of a question's time."""

    def __init__(self) -> None:
        self._scores = np.empty(0, dtype=np.float32)
        self._products = np.empty(0, dtype=np.float32)

    def take(self, rows: int, columns: int) -> np.ndarray:
        """A (rows, columns) float32 array for the scores, its values left over from before."""
        self._scores = _at_least(self._scores, rows * columns)
        return self._scores[: rows * columns].reshape(rows, columns)

    def take_products(self, memories: int, rows: int) -> np.ndarray:
        """A (memories, rows) float32 array for a stretch's products with several sequences' u."""
        self._products = _at_least(self._products, memories * rows)
        return self._products[: memories * rows].reshape(memories, rows)

    def release(self, below: int = KEPT_SCORE_ROWS_BYTES) -> None:
        """Give back the rows smaller than ``below`` bytes (after a question: the small ones)."""
        if self._scores.nbytes < below:
            self._scores = np.empty(0, dtype=np.float32)
        if self._products.nbytes < below:
            self._products = np.empty(0, dtype=np.float32)

    @property
    def held(self) -> bool:
        return bool(len(self._scores) or len(self._products))

    @property
    def nbytes(self) -> int:
        return sys.getsizeof(self) + sys.getsizeof(self._scores) + sys.getsizeof(self._products)


def _at_least(buffer: np.ndarray, size: int) -> np.ndarray:
    return buffer if len(buffer) >= size else np.empty(size, dtype=buffer.dtype)


class FactMatches:
    """Each previous fact's slot matches (by slot and memory), shared by a bank's questions until the
    bank changes (``clear``): they depend on the fact and the bank alone, and the same few facts
    support most questions. The least recently used go past ``capacity`` (10 to 25 KB each: a small
    bank's can outweigh its rows ten times, so a full cache sheds them first, ``MemoryCache``)."""

    def __init__(self, capacity: int = 512) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[tuple[int, int], _SlotMatches] = OrderedDict()
        self._entries_bytes = 0  # the entries' keys and matches

    def get(self, key: tuple[int, int]) -> _SlotMatches | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: tuple[int, int], matches: _SlotMatches) -> None:
        self._entries[key] = matches
        self._entries_bytes += _entry_bytes(key, matches)
        while len(self._entries) > self.capacity:
            self._entries_bytes -= _entry_bytes(*self._entries.popitem(last=False))

    def clear(self) -> None:
        self._entries.clear()
        self._entries_bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def nbytes(self) -> int:
        return sys.getsizeof(self) + sys.getsizeof(self._entries) + self._entries_bytes


def _entry_bytes(key: tuple[int, int], matches: _SlotMatches) -> int:
    return sys.getsizeof(key) + sum(object_bytes(part) for part in key) + matches.nbytes()


@dataclass
class ScanScratch:
    """What a bank's questions share, one question at a time (the bank's lock): the rows its hop scores
    are written into, and each fact's slot matches, valid while the bank and the view of it stay the
    same (a filtered view gets its own: ``for_filtered_view``)."""

    score_rows: ScoreRows = field(default_factory=ScoreRows)
    fact_matches: FactMatches = field(default_factory=FactMatches)

    def for_filtered_view(self) -> ScanScratch:
        """The same score rows, and slot matches of the filtered view's own."""
        return ScanScratch(self.score_rows, FactMatches())

    @property
    def held(self) -> bool:
        """Whether it holds anything the bank's next question could make again."""
        return bool(len(self.fact_matches)) or self.score_rows.held

    def shed(self) -> None:
        """Give back everything (a cache short of room): the next question makes what it needs again."""
        self.fact_matches.clear()
        self.score_rows.release(below=np.iinfo(np.int64).max)

    @property
    def nbytes(self) -> int:
        return sys.getsizeof(self) + self.score_rows.nbytes + self.fact_matches.nbytes


class BankScan:
    """One question over one bank: ``hop_scores`` is ``MemNN.hop_scores`` computed by the scan.

    The features of a near memory are a few table rows (``OTables``); each slot's match rows are
    computed once per question and fact, and reused by every hop and beam sequence that has it.
    A far memory's features follow from which side of each previous fact it lies on, so the
    (u, g) of each stretch between facts comes straight from the tables.

    ``hop_scores`` returns its scores in the ``scratch``'s score rows: the next call overwrites them. A
    bank's questions may share one ``ScanScratch``, one at a time.

    ``hashed=True`` is the paper's hashing by words instead: only the near memories (those that
    hold a word of the question or of a previous fact near it, the newest, and the neighbours
    of the previous facts) are scored, every other memory scores -inf. No pass over the matrix:
    faster on a large bank, and approximate (``bench`` measures how often it agrees).
    """

    def __init__(
        self,
        model: MemNN,
        view: BankView,
        question: QuestionBatch,
        hashed: bool = False,
        scratch: ScanScratch | None = None,
    ) -> None:
        self.view, self.hashed = view, hashed
        self.scratch = scratch if scratch is not None else ScanScratch()
        self.config = model.config
        self.tables = o_tables(model)
        n = view.size
        encoded = sentence_tables(model).question.encode(question.words.numpy())[0]  # the same at every hop
        self.encoded_question = encoded
        context, stop, blocks = self.tables.context, self.tables.stop_hidden, model.hop_context_layout
        self.question_context = encoded @ context[blocks["question"]] + self.tables.context_bias + self.tables.constant
        self.question_stop = encoded @ stop[blocks["question"]] + self.tables.stop_hidden_bias
        self.fact_context = (context[blocks["fact_1"]], context[blocks["fact_2"]])  # o_h-1, o_h-2
        self.fact_stop = (stop[blocks["fact_1"]], stop[blocks["fact_2"]])
        self.hop_context, self.hop_stop = context[blocks["hop"]], stop[blocks["hop"]]
        self.rank_sides = model.layout.rank_sides
        question_head = fit_heads(question.matches.numpy(), self.config.match_len)[0]
        self.question_matches = self._compute_slot_matches([(0, n)], question_head[None].astype(np.int64))[0]
        self.always_near = np.union1d(np.arange(max(0, n - RECENT), n), self.question_matches.rows)

    def hop_scores(self, chosen: Tensor, live: Tensor | None = None) -> Tensor:  # a HopScorer: ``live`` unused
        """s_O and STOP -> (rows, N + 1) for sequences ``chosen`` (rows, h), -1 where none."""
        n, tables = self.view.size, self.tables
        hop = min(chosen.shape[1], self.config.max_hops - 1)
        facts = np.array([_previous(row) for row in chosen.tolist()], dtype=np.int64).reshape(-1, 2)
        supports = self.view.support[facts.clip(0)] * (facts >= 0)[..., None]  # (rows, 2, D): Φx of o_h-1, o_h-2
        context = self.question_context + self.hop_context[hop]
        stop = self.question_stop + self.hop_stop[hop]
        for k in range(2):
            context = context + supports[:, k] @ self.fact_context[k]
            stop = stop + supports[:, k] @ self.fact_stop[k]
        scores = self.scratch.score_rows.take(len(facts), n + 1)  # written in place: no pass over N is repeated
        self._far_scores(scores[:, :n], facts, context)
        keys, pre = self._near_terms(facts, context)
        memories = keys % (n + 1)
        u, g = tables.terms(pre)
        scores.reshape(-1)[keys] = np.einsum("kd,kd->k", self.view.candidate[memories], u) + g
        chosen_rows, chosen_at = np.nonzero(chosen.numpy() >= 0)
        scores[chosen_rows, chosen.numpy()[chosen_rows, chosen_at]] = -np.inf
        scores[:, n] = np.maximum(stop, 0.0) @ tables.stop_out + tables.stop_out_bias
        return torch.from_numpy(scores)

    # -- the near memories and their features -------------------------------------------

    def _near_terms(self, facts: np.ndarray, context: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The memories each sequence (a row of ``facts``: o_h-1, o_h-2) scores exactly, as keys
        row * (N + 1) + memory, ascending, and their pre-activations (keys, H)."""
        n, tables, stride = self.view.size, self.tables, self.view.size + 1
        by_fact = self._fact_matches(facts)
        offsets = np.arange(len(facts)) * stride
        parts = [self.always_near[None] + offsets[:, None]]
        for row, offset in zip(by_fact, offsets.tolist(), strict=True):
            parts += [found.near + offset for found in row if found]
        keys = np.unique(np.concatenate([part.reshape(-1) for part in parts]))
        sequence, memories = np.divmod(keys, stride)
        pre = context[sequence] + tables.question_rows(n - memories)
        for slot in (1, 2):
            pre += tables.fact_time[slot][time_code(memories, facts[sequence, slot - 1])]
        question = self.question_matches
        if len(question.rows):
            pre[np.searchsorted(keys, offsets[:, None] + question.rows[None])] += question.rows_sum
        for which in (0, 1):  # one fact at a time: a memory may match both, and += adds once per index
            matched = [
                (offset, found)
                for row, offset in zip(by_fact, offsets.tolist(), strict=True)
                if (found := row[which]) is not None
            ]
            if matched:
                at = np.concatenate([found.rows + offset for offset, found in matched])
                pre[np.searchsorted(keys, at)] += np.concatenate([found.rows_sum for _, found in matched])
        return keys, pre

    def _fact_matches(self, facts: np.ndarray) -> list[list[_SlotMatches | None]]:
        """Each sequence's slot matches of o_h-1 and o_h-2 (None where none): those not yet at hand
        computed together, in one pass."""
        wanted = {(slot, fact) for row in facts.tolist() for slot, fact in enumerate(row, 1) if fact >= 0}
        found = {key: self.scratch.fact_matches.get(key) for key in wanted}
        missing = sorted(key for key, matches in found.items() if matches is None)
        if missing:
            heads = self.view.heads[[fact for _, fact in missing]]
            for key, matches in zip(missing, self._compute_slot_matches(missing, heads), strict=True):
                found[key] = matches
                self.scratch.fact_matches.put(key, matches)
        return [[found.get((slot, fact)) for slot, fact in enumerate(row, 1)] for row in facts.tolist()]

    def _compute_slot_matches(self, slots: list[tuple[int, int]], heads: np.ndarray) -> list[_SlotMatches]:
        """For each slot (0: the question, at the bank's end; 1, 2: o_h-1, o_h-2) at its position, with
        match ids ``heads`` (one row each): the ``near_mentions`` mentions of each word nearest it on
        either side (with ``latest_mentions``, and the bank's newest ones), and their rank and positional
        rows summed per memory."""
        k, m, ranks = self.config.near_mentions, self.config.match_len, self.config.rank_buckets
        sides = len(self.rank_sides)
        stride = self.view.size + 1
        hidden = len(self.tables.out)
        pieces, words, lengths = [], [], []  # per slot word, its mentions on each side, nearest first
        for slot_at, ((_, position), head) in enumerate(zip(slots, heads.tolist(), strict=True)):
            for i, word in enumerate(head):
                if word == PAD_ID:
                    continue
                rows = self.view.index.rows(word)
                # the position as the postings' own int32: an int64 key makes numpy copy all of them
                before = int(rows.searchsorted(np.int32(position)))
                after = before + int(before < len(rows) and rows[before] == position)
                mentions = {  # each side's nearest first
                    RankSide.BEFORE: rows[max(0, before - k) : before][::-1],
                    RankSide.AFTER: rows[after : after + k],
                    RankSide.NEWEST: rows[-k:][::-1],
                }
                sided = [mentions[side] for side in self.rank_sides]
                pieces += sided
                words.append((slot_at, i))
                lengths += [len(piece) for piece in sided]
        rows = np.concatenate(pieces or [np.zeros(0, dtype=np.int32)]).astype(np.int64)
        count = np.array(lengths, dtype=np.int64)
        piece_slot, piece_word = np.repeat(np.array(words, dtype=np.int64).reshape(-1, 2), sides, axis=0).T
        which, word = np.repeat(piece_slot, count), np.repeat(piece_word, count)
        slot = np.array([s for s, _ in slots], dtype=np.int64)[which]
        side = np.repeat(np.arange(len(count)) % sides, count)
        rank = np.minimum(ragged_columns(count), ranks - 1)  # 0: the nearest mention on its side
        delta_at = ((slot * m + word) * sides + side) * ranks + rank
        # a memory found on two sides of one slot word matches it once: the positional rows of each
        # (slot, word, memory) are added once
        _, once = np.unique((which * m + word) * stride + rows, return_index=True)
        entry, column = np.nonzero(self.view.heads[rows[once]] == heads[which[once], word[once]][:, None])
        entry = once[entry]  # slot word i = memory word j, as indices into ``rows``
        positional_at = (slot[entry] * m + word[entry]) * m + column
        vectors = np.concatenate(
            [
                self.tables.rank_delta.reshape(-1, hidden)[delta_at],
                self.tables.positional.reshape(-1, hidden)[positional_at],
            ]
        )
        owners = which * stride + rows  # (slot, memory), as one key
        keys, owner = np.unique(np.concatenate([owners, owners[entry]]), return_inverse=True)
        sums = torch.zeros(len(keys), hidden).index_add_(0, torch.from_numpy(owner), torch.from_numpy(vectors)).numpy()
        bounds = np.searchsorted(keys, np.arange(len(slots) + 1) * stride).tolist()
        found = []
        for which_slot, (slot_index, position) in enumerate(slots):
            matched = keys[bounds[which_slot] : bounds[which_slot + 1]] - which_slot * stride
            neighbours = np.arange(max(0, position - NEARBY), min(stride - 1, position + NEARBY + 1))
            near = np.concatenate([matched, neighbours]) if slot_index else matched
            # the sums copied: a slice would keep every slot's sums alive for as long as any one is kept
            found.append(_SlotMatches(matched, sums[bounds[which_slot] : bounds[which_slot + 1]].copy(), near))
        return found

    # -- the scores -------------------------------------------------------------------------

    def _far_scores(self, out: np.ndarray, facts: np.ndarray, context: np.ndarray) -> None:
        """Into ``out`` (rows, N): every memory scored as if far, in one pass over Φy. Between two
        consecutive facts of any sequence every far memory has the same features, so one (u, g) per
        sequence and stretch. Hashed, no memory is: -inf for all."""
        n, tables = self.view.size, self.tables
        if self.hashed:
            out[:] = -np.inf
            return
        edges = [0, *sorted({f for f in facts.reshape(-1).tolist() if f >= 0}), n]
        stretches = [(start, end) for start, end in zip(edges[:-1], edges[1:], strict=True) if start < end]
        last = np.array([end - 1 for _, end in stretches])  # not a fact: on the far side of none
        pre = (context + tables.question_time[QUESTION_TIME])[None].repeat(len(stretches), 0)  # (stretches, rows, H)
        for slot in (1, 2):
            pre += tables.fact_time[slot][far_code(last[:, None], facts[None, :, slot - 1])]
        u, g = tables.terms(pre)
        for (start, end), stretch_u, stretch_g in zip(stretches, u, g, strict=True):
            block = self.view.candidate[start:end]
            if len(facts) == 1:  # the matrix-vector product itself, written where it belongs
                np.dot(block, stretch_u[0], out=out[0, start:end])
                out[0, start:end] += stretch_g[0]
            else:  # memories by sequences: ~3x faster than the sequences by memories BLAS would write
                products = self.scratch.score_rows.take_products(end - start, len(facts))
                np.matmul(block, stretch_u.T, out=products)
                np.add(products.T, stretch_g[:, None], out=out[:, start:end])


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
    chosen, hop_scores = search_hops(
        scan.hop_scores, 1, view.size, max_hops, beam or model.config.beam, model.config.max_hops
    )
    picked = [m for m in chosen[0].tolist() if m >= 0]
    asked = question.matches[0].numpy()
    scores, unseen, size = answer_scores(
        model,
        scan.encoded_question,
        asked[asked != PAD_ID],
        [view.sentences.row(m) for m in picked],
        view.support[picked],
        candidates.numpy(),
    )
    answered_size = torch.tensor([size])
    return Inference(chosen, hop_scores, torch.from_numpy(scores)[None], torch.from_numpy(unseen)[None], answered_size)


def _previous(chosen: list[int]) -> list[int]:
    """o_h-1, o_h-2 of a sequence (-1 where none)."""
    picked = [m for m in chosen if m >= 0]
    return [picked[-k] if len(picked) >= k else -1 for k in (1, 2)]
