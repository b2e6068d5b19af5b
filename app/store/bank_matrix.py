"""Per-bank in-process matrices: token ids and cached embeddings, grown by doubling, and the one
place a bank's question is answered from them (``BankMatrix.answer``).

A matrix is current while its ``write_sequence`` equals the bank row's; any other process's
write (a replica) or a delete makes it stale and the next question rebuilds it from the rows.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..memnn.model import MemNN
from ..memnn.serving.answer import Asked, ModelAnswer, answer
from ..memnn.serving.bank import BankView, Sentences, WordIndex, object_bytes
from ..memnn.serving.encode import BankEncoder
from ..memnn.serving.scan import ScanScratch
from .filters import MemoryFilter

# a matrix's table of attributes: ``sys.getsizeof(matrix.__dict__)`` says 288 to 296 bytes, depending on
# how many matrices share its keys, which would make one matrix's count change while nothing in it did
ATTRIBUTES_BYTES = 296


class EmptyBank(Exception):
    """Nothing to answer from: the bank has no rows, or the filter keeps none. A matrix does not know
    its bank's name: the service names it (``naming``)."""

    def __init__(self, filtered: bool = False, bank: str | None = None) -> None:
        self.filtered = filtered
        named = f"bank {bank!r}" if bank is not None else "the bank"
        if filtered:
            super().__init__(f"no memory of {named} matches the filters: widen them or drop them")
        else:
            super().__init__(f"{named} has no memories to answer from: add statements with POST /memories")

    def naming(self, bank: str) -> EmptyBank:
        """The same error, saying which bank."""
        return EmptyBank(self.filtered, bank)


@dataclass
class BankAnswer:
    """An answer from a matrix, its memories named by database id, and the (bank id, write sequence)
    the matrix stood at: the answer holds for the bank if the database still says the same."""

    model: ModelAnswer
    read_at: tuple[int, int]
    held: Held  # what the matrix held once it answered


@dataclass(frozen=True)
class Held:
    """What a matrix holds, for the cache: its bytes (``BankMatrix.nbytes``), and whether some of them
    are scratch it could shed (``BankMatrix.shed_scratch``)."""

    nbytes: int
    scratch: bool


@dataclass
class BankMatrix:
    """One bank in memory, in write order: contiguous arrays grown by doubling, and a word index."""

    bank_id: int
    write_sequence: int
    encoder: BankEncoder
    dim: int  # floats per embedding: Φy and Φx are kept apart, each contiguous, for the scan
    match_len: int
    size: int = 0
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    candidate: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    support: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    heads: np.ndarray = field(init=False)  # (capacity, match_len) int32: what the hop features compare
    tokens: np.ndarray = field(default_factory=lambda: np.zeros(16, dtype=np.int32))  # every id, ragged
    token_starts: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))  # (capacity + 1,)
    created: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))  # UTC timestamps
    index: WordIndex = field(init=False)
    # metadata filters as columns: per key, a code per row for its string value (-1: none)
    metadata_codes: dict[str, np.ndarray] = field(default_factory=dict)
    metadata_values: dict[str, dict[str, int]] = field(default_factory=dict)
    # O's hop score rows, reused question after question where they are large, and the facts' slot
    # matches of questions over every row (any change clears them); a full cache sheds them first
    scratch: ScanScratch = field(default_factory=ScanScratch)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _metadata_bytes: int = 0  # the metadata values' strings and codes

    def __post_init__(self) -> None:
        self.index = WordIndex(self.match_len)
        self.heads = np.zeros((0, self.match_len), dtype=np.int32)
        self.candidate = np.zeros((0, self.dim), dtype=np.float32)
        self.support = np.zeros((0, self.dim), dtype=np.float32)

    def append(
        self,
        ids: np.ndarray,
        word_ids: Sequence[bytes | None],  # each row's stored words (``serving.encode.stored_words``)
        unseen_words: Sequence[str | None],
        embeddings: np.ndarray,  # (n, 2D): Φy then Φx
        metadata: list[dict[str, Any] | None],
        created: np.ndarray,  # UTC timestamps
        index: bool = True,
    ) -> None:
        """Append rows; ``index=False`` leaves the word index to one ``index_rest`` call (a rebuild)."""
        matches = self.encoder.match_sentences(word_ids, unseen_words)
        self.scratch.fact_matches.clear()  # a fact's nearest mentions, and its neighbours, may be among the new rows
        n = len(ids)
        self._reserve(self.size + n)
        rows = slice(self.size, self.size + n)
        self.ids[rows], self.created[rows] = ids, created
        self.candidate[rows], self.support[rows] = embeddings[:, : self.dim], embeddings[:, self.dim :]
        self.heads[rows] = matches.heads(self.match_len)
        self._append_tokens(matches)
        for offset, row_metadata in enumerate(metadata) if any(metadata) else ():
            for key, value in (row_metadata or {}).items():
                if isinstance(value, str):
                    self._metadata_column(key)[self.size + offset] = self._code(key, value)
        self.size += n
        if index:
            self.index_rest()

    def index_rest(self) -> None:
        """Index the rows appended since the last call, in one pass."""
        if self.index.size < self.size:
            self.index.append(self.heads[self.index.size : self.size])

    def _append_tokens(self, sentences: Sentences) -> None:
        first = int(self.token_starts[self.size])
        end = first + len(sentences.flat)
        if end > len(self.tokens):
            self.tokens = _grown(self.tokens, (max(end, 2 * len(self.tokens)),))
        self.tokens[first:end] = sentences.flat
        self.token_starts[self.size + 1 : self.size + len(sentences.starts)] = first + sentences.starts[1:]

    def _metadata_column(self, key: str) -> np.ndarray:
        if key not in self.metadata_codes:
            self.metadata_codes[key] = np.full(self.ids.shape[0], -1, dtype=np.int32)
        return self.metadata_codes[key]

    def _code(self, key: str, value: str) -> int:
        if key not in self.metadata_values:
            self.metadata_values[key] = {}
            self._metadata_bytes += object_bytes(key)
        values = self.metadata_values[key]
        if value not in values:
            values[value] = len(values)
            self._metadata_bytes += object_bytes(value) + object_bytes(values[value])
        return values[value]

    def restore_metadata(self, codes: dict[str, np.ndarray], values: dict[str, dict[str, int]]) -> None:
        """Metadata columns and values as saved (a snapshot)."""
        self.metadata_codes, self.metadata_values = codes, values
        self._metadata_bytes = sum(
            object_bytes(key) + sum(object_bytes(value) + object_bytes(code) for value, code in coded.items())
            for key, coded in values.items()
        )

    def mask(self, where: MemoryFilter) -> np.ndarray:
        """(size,) True for the rows the filter keeps: vectorised, the same rule as the SQL."""
        keep = np.ones(self.size, dtype=bool)
        for key, value in where.metadata.items():
            code = self.metadata_values.get(key, {}).get(value)
            if code is None:
                return np.zeros(self.size, dtype=bool)
            keep &= self.metadata_codes[key][: self.size] == code
        if where.created_after is not None:
            keep &= self.created[: self.size] > where.created_after.timestamp()
        if where.created_before is not None:
            keep &= self.created[: self.size] < where.created_before.timestamp()
        return keep

    def answer(self, model: MemNN, asked: Asked, where: MemoryFilter) -> BankAnswer:
        """O and R over the bank's rows, or over those ``where`` keeps (a mask: the others are never read),
        with the matrix's own scratch state; ``EmptyBank`` if there is nothing to answer from."""
        with self.lock:
            rows = None if where.is_empty else np.flatnonzero(self.mask(where))
            if self.size == 0 or (rows is not None and not len(rows)):
                raise EmptyBank(filtered=rows is not None)
            scratch = self.scratch if rows is None else self.scratch.for_filtered_view()
            try:
                found = answer(model, self.encoder, self.view(rows), asked, scratch)
            finally:
                self.scratch.score_rows.release()  # the small ones: made afresh at no cost
            ids = self.ids[: self.size] if rows is None else self.ids[rows]
            return BankAnswer(found.naming(ids), (self.bank_id, self.write_sequence), self.held())

    def held(self) -> Held:
        """What the matrix holds now (under its lock)."""
        return Held(self.nbytes(), self.scratch.held)

    def shed_scratch(self) -> None:
        """Give back what its questions share (under its lock): the next question makes it again."""
        self.scratch.shed()

    def stands_at(self, current: tuple[int, int]) -> bool:
        """Whether the matrix holds the bank as of ``current`` (bank id, write sequence)."""
        with self.lock:
            return current == (self.bank_id, self.write_sequence)

    def reserve(self, rows: int) -> None:
        """Room for ``rows`` rows without growing (a rebuild knows the bank's size)."""
        self._reserve(rows, exact=True)

    def _reserve(self, rows: int, exact: bool = False) -> None:
        capacity = self.ids.shape[0]
        if rows <= capacity:
            return
        new_capacity = rows if exact else max(rows, 2 * capacity, 16)
        self.ids = _grown(self.ids, (new_capacity,))
        self.created = _grown(self.created, (new_capacity,))
        for key, codes in self.metadata_codes.items():
            self.metadata_codes[key] = np.concatenate([codes, np.full(new_capacity - len(codes), -1, dtype=np.int32)])
        self.candidate = _grown(self.candidate, (new_capacity, self.dim))
        self.support = _grown(self.support, (new_capacity, self.dim))
        self.heads = _grown(self.heads, (new_capacity, self.match_len))
        self.token_starts = _grown(self.token_starts, (new_capacity + 1,))

    def view(self, rows: np.ndarray | None = None) -> BankView:
        """What O reads: every stored row (no copy), or only ``rows`` (copied, with their own index)."""
        n = self.size
        sentences = Sentences(self.tokens[: self.token_starts[n]], self.token_starts[: n + 1])
        if rows is None:
            return BankView(self.candidate[:n], self.support[:n], self.heads[:n], sentences, self.index)
        heads = self.heads[rows]
        index = WordIndex(self.match_len)
        index.append(heads)
        return BankView(self.candidate[rows], self.support[rows], heads, sentences.take(rows), index)

    def nbytes(self) -> int:
        """Bytes the matrix holds, as the cache counts them: its arrays whole (the room grown for rows to
        come too), the word index, the bank's unseen words and metadata values, the scratch its questions
        share, and the Python objects around them (``sys.getsizeof``; ``tests/store/test_bank_matrix.py``
        holds the sum to what ``tracemalloc`` sees)."""
        python_side = sys.getsizeof(self) + ATTRIBUTES_BYTES + sys.getsizeof(self.lock)
        metadata = sys.getsizeof(self.metadata_codes) + sys.getsizeof(self.metadata_values) + self._metadata_bytes
        metadata += sum(sys.getsizeof(values) for values in self.metadata_values.values())
        indexed = self.index.nbytes() + self.encoder.nbytes()
        return self._arrays_bytes() + python_side + metadata + indexed + self.scratch.nbytes

    def _arrays_bytes(self) -> int:
        """The rows' arrays, each with its header."""
        arrays = [self.ids, self.created, self.candidate, self.support, self.heads, self.tokens, self.token_starts]
        return sum(sys.getsizeof(a) for a in [*arrays, *self.metadata_codes.values()])


def _grown(array: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``array`` in a larger block; the new room is left unset: nothing reads a row past ``size``
    before it is written."""
    grown = np.empty(shape, dtype=array.dtype)
    grown[tuple(slice(0, s) for s in array.shape)] = array
    return grown
