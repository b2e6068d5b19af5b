"""A bank as O reads it: each memory's match ids (ragged), its cached embeddings, and an inverted index
from words to the memories holding them (the paper's hashing by words, used here to find the memories
near a slot's words, not to skip any)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..text import PAD_ID
from .ragged import fit_heads, ragged_columns, ragged_rows, ragged_sources

WordRows = dict[int, "Postings"]


@dataclass(slots=True)
class Postings:
    """The rows holding one word, ascending, in a buffer of its own grown by doubling."""

    buffer: np.ndarray = field(default_factory=lambda: np.zeros(4, dtype=np.int32))
    size: int = 0

    @property
    def rows(self) -> np.ndarray:
        return self.buffer[: self.size]

    def extend(self, rows: np.ndarray) -> int:
        """Append ``rows``; returns the bytes the buffer grew by."""
        end = self.size + len(rows)
        grew = 0
        if end > len(self.buffer):
            grown = np.zeros(max(end, 2 * len(self.buffer)), dtype=np.int32)
            grown[: self.size] = self.rows
            grew = grown.nbytes - self.buffer.nbytes
            self.buffer = grown
        self.buffer[self.size : end] = rows
        self.size = end
        return grew

    @staticmethod
    def of(rows: np.ndarray) -> tuple[Postings, int]:
        """A word's first rows, copied (a view would keep the whole array it was cut from alive), and the
        bytes it holds: the object, its array and the rows."""
        postings = Postings(rows.copy(), len(rows))
        return postings, sys.getsizeof(postings) + sys.getsizeof(postings.buffer)


class WordIndex:
    """Match id -> the rows whose first ``width`` tokens hold it: the paper's hashing by words."""

    def __init__(self, width: int) -> None:
        self.width = width
        self._postings: WordRows = {}
        self._postings_bytes = 0  # every Postings, its buffer, and its word where that is an object of its own
        self.size = 0  # rows indexed

    def append(self, heads: np.ndarray) -> None:
        """Index the next ``len(heads)`` rows ((n, width) match ids), in one vectorised pass."""
        n = len(heads)
        rows = np.repeat(np.arange(self.size, self.size + n, dtype=np.int32), heads.shape[1])
        words = heads.reshape(-1).astype(np.int32, copy=False)
        keep = words != PAD_ID
        rows, words = rows[keep], words[keep]
        order = stable_order(words)  # rows stay ascending within each word
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
            self._add(word, rows[start:end])

    def _add(self, word: int, rows: np.ndarray) -> None:
        found = self._postings.get(word)
        if found is not None:
            self._postings_bytes += found.extend(rows)
            return
        self._postings[word], held = Postings.of(rows)
        self._postings_bytes += held + object_bytes(word)

    def rows(self, word: int) -> np.ndarray:
        found = self._postings.get(word)
        return found.rows if found is not None else np.zeros(0, dtype=np.int32)

    def nbytes(self) -> int:
        """Bytes the index holds: its table, and every word's postings with their objects."""
        return sys.getsizeof(self) + sys.getsizeof(self._postings) + self._postings_bytes

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
            index._add(word, rows[start:end])
        index.size = size
        return index


def object_bytes(value: int | str) -> int:
    """What a dict's key or value adds beside the table: nothing for the small ints Python shares."""
    return 0 if isinstance(value, int) and -5 <= value <= 256 else sys.getsizeof(value)


def stable_order(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` of non-negative int32 keys, as radix sorts of 16-bit
    halves (numpy sorts 16-bit ints by radix: 4x faster than its merge sort of int32 keys)."""
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    high = (keys >> 16).astype(np.uint16)
    if len(keys) and high.max() > 0:  # ids past 65,535: a second pass by the high half
        order = order[np.argsort(high[order], kind="stable")]
    return order


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

    @staticmethod
    def joined(blobs: Sequence[bytes]) -> Sentences:
        """From each memory's ids as int32 bytes."""
        lengths = np.fromiter(map(len, blobs), dtype=np.int64, count=len(blobs)) // 4
        return Sentences(np.frombuffer(b"".join(blobs), dtype=np.int32), np.r_[0, np.cumsum(lengths)])

    def heads(self, width: int) -> np.ndarray:
        """(n, width) int32: each memory's first ``width`` ids, PAD_ID padded (see ``fit_heads``)."""
        kept = np.minimum(np.diff(self.starts), width)
        out = np.full((len(kept), width), PAD_ID, dtype=np.int32)
        rows, columns = ragged_rows(kept), ragged_columns(kept)
        out[rows, columns] = self.flat[self.starts[rows] + columns]
        return out

    def row(self, row: int) -> np.ndarray:
        return self.flat[self.starts[row] : self.starts[row + 1]]

    def take(self, rows: np.ndarray) -> Sentences:
        lengths = self.starts[rows + 1] - self.starts[rows]
        flat = self.flat[ragged_sources(self.starts[rows], lengths)]
        return Sentences(flat, np.r_[0, np.cumsum(lengths)].astype(np.int64))


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
