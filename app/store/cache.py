"""Per-bank in-process matrices: token ids and cached embeddings, grown by doubling.

A matrix is current while its ``write_sequence`` equals the bank row's; any other process's
write (a replica) or a delete makes it stale and the next question rebuilds it from the rows.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from ..memnn.serving import BankEncoder
from .filters import MemoryFilter


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
    created: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))  # UTC timestamps
    # metadata filters as columns: per key, a code per row for its string value (-1: none)
    metadata_codes: dict[str, np.ndarray] = field(default_factory=dict)
    metadata_values: dict[str, dict[str, int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def append(
        self,
        ids: list[int],
        positions: list[int],
        texts: list[str],
        token_lists: list[list[str]],
        embeddings: np.ndarray,
        metas: list[dict[str, Any] | None],
        created: list[datetime],
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
        self.created[self.size : end] = [moment.timestamp() for moment in created]
        for offset, meta in enumerate(metas):
            for key, value in (meta or {}).items():
                if isinstance(value, str):
                    self._metadata_column(key)[self.size + offset] = self._code(key, value)
        self.size = end

    def _metadata_column(self, key: str) -> np.ndarray:
        if key not in self.metadata_codes:
            self.metadata_codes[key] = np.full(self.ids.shape[0], -1, dtype=np.int32)
        return self.metadata_codes[key]

    def _code(self, key: str, value: str) -> int:
        values = self.metadata_values.setdefault(key, {})
        return values.setdefault(value, len(values))

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

    def _reserve(self, rows: int, columns: int) -> None:
        capacity = self.ids.shape[0]
        width = max(self.words.shape[1], columns)
        if rows <= capacity and width == self.words.shape[1]:
            return
        new_capacity = max(rows, 2 * capacity, 16) if rows > capacity else capacity
        self.ids = _grown(self.ids, (new_capacity,))
        self.created = _grown(self.created, (new_capacity,))
        for key, codes in self.metadata_codes.items():
            self.metadata_codes[key] = np.concatenate([codes, np.full(new_capacity - len(codes), -1, dtype=np.int32)])
        self.positions = _grown(self.positions, (new_capacity,))
        self.embeddings = _grown(self.embeddings, (new_capacity, self.width))
        self.words = _grown(self.words, (new_capacity, width))
        self.matches = _grown(self.matches, (new_capacity, width))

    def view(self, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(words, matches, embeddings) of the stored rows (or of ``rows``), trimmed to the longest sentence."""
        words, matches, embeddings = self.words[: self.size], self.matches[: self.size], self.embeddings[: self.size]
        if rows is None:  # the arrays are exactly as wide as the longest sentence appended
            return words, matches, embeddings
        words, matches, embeddings = words[rows], matches[rows], embeddings[rows]
        width = max(int((words != 0).sum(1).max(initial=1)), 1)
        return words[:, :width], matches[:, :width], embeddings


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
