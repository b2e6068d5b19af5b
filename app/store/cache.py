"""Per-bank in-process matrices: token ids and cached embeddings, grown by doubling.

A matrix is current while its ``write_sequence`` equals the bank row's; any other process's
write (a replica) or a delete makes it stale and the next question rebuilds it from the rows.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from ..memnn.serving import BankEncoder


@dataclass
class BankMatrix:
    bank_id: int
    write_sequence: int
    encoder: BankEncoder
    width: int  # floats per embedding row
    size: int = 0
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    positions: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    texts: list[str] = field(default_factory=list)
    words: np.ndarray = field(default_factory=lambda: np.zeros((0, 1), dtype=np.int64))
    matches: np.ndarray = field(default_factory=lambda: np.zeros((0, 1), dtype=np.int64))
    embeddings: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def append(
        self,
        ids: list[int],
        positions: list[int],
        texts: list[str],
        token_lists: list[list[str]],
        embeddings: np.ndarray,
    ) -> None:
        encoded = [self.encoder.encode(tokens) for tokens in token_lists]
        longest = max([len(w) for w, _ in encoded] + [1])
        self._reserve(self.size + len(ids), longest)
        end = self.size + len(ids)
        self.ids[self.size : end] = ids
        self.positions[self.size : end] = positions
        self.embeddings[self.size : end] = embeddings
        rows = slice(self.size, end)
        self.words[rows] = 0
        self.matches[rows] = 0
        for offset, (words, matches) in enumerate(encoded):
            self.words[self.size + offset, : len(words)] = words
            self.matches[self.size + offset, : len(matches)] = matches
        self.texts.extend(texts)
        self.size = end

    def _reserve(self, rows: int, columns: int) -> None:
        capacity = self.ids.shape[0]
        width = max(self.words.shape[1], columns)
        if rows <= capacity and width == self.words.shape[1]:
            return
        new_capacity = max(rows, 2 * capacity, 16) if rows > capacity else capacity
        self.ids = _grown(self.ids, (new_capacity,))
        self.positions = _grown(self.positions, (new_capacity,))
        self.embeddings = _grown(self.embeddings, (new_capacity, self.width))
        self.words = _grown(self.words, (new_capacity, width))
        self.matches = _grown(self.matches, (new_capacity, width))

    def view(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(words, matches, embeddings) of the stored rows, trimmed to the longest sentence."""
        n = self.size
        width = max(int((self.words[:n] != 0).sum(1).max(initial=1)), 1)
        return self.words[:n, :width], self.matches[:n, :width], self.embeddings[:n]


def _grown(array: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    grown = np.zeros(shape, dtype=array.dtype)
    grown[tuple(slice(0, s) for s in array.shape)] = array
    return grown


class MemoryCache:
    """bank name -> BankMatrix for the model version this process serves."""

    def __init__(self) -> None:
        self._banks: dict[str, BankMatrix] = {}
        self._lock = threading.Lock()

    def get(self, bank: str) -> BankMatrix | None:
        with self._lock:
            return self._banks.get(bank)

    def put(self, bank: str, matrix: BankMatrix) -> None:
        with self._lock:
            self._banks[bank] = matrix

    def drop(self, bank: str) -> None:
        with self._lock:
            self._banks.pop(bank, None)
