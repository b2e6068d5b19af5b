"""The bank matrices a process holds, in at most ``budget`` bytes. A matrix is a copy of its bank's
rows, so dropping one loses nothing: the bank's next question builds it again from the database (or
its snapshot), and it answers exactly as before.

A matrix's bytes are ``BankMatrix.nbytes``, measured when it is built and again after each question
and write (its scratch and its rows grow). Past the budget, the cache gives back first the scratch of
the least recently asked banks that hold some (each previous fact's slot matches, large score rows: a
question makes them again in about 0.6 ms, and at 10 to 25 KB a fact they can outweigh a small bank's
rows ten times), then whole matrices, least recently asked first (a small bank's costs a few
milliseconds to build again). A matrix that is answering a question keeps its scratch.

A bank larger than the whole budget is built for each question, answers it, and is not kept: the
budget holds, and the service logs how much the bank needs.

Eviction only forgets the cache's reference: a request that holds the matrix keeps answering from it
under its lock, and a write that appends to it meanwhile changes a copy nobody reads again.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field

from .bank_matrix import BankMatrix, Held


@dataclass
class _Entry:
    matrix: BankMatrix
    nbytes: int


@dataclass
class _Builder:
    """A bank's build lock and the threads holding it or waiting for it."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0


@dataclass(frozen=True)
class CacheUse:
    """What the cache holds now, for /metrics."""

    banks: int
    nbytes: int
    budget: int | None
    evictions: int


class MemoryCache:
    """bank name -> BankMatrix for the model version this process serves, least recently asked first,
    in at most ``budget`` bytes (None: no bound)."""

    def __init__(self, budget: int | None = None) -> None:
        self.budget = budget
        self._banks: OrderedDict[str, _Entry] = OrderedDict()  # least recently asked first
        self._with_scratch: OrderedDict[str, None] = OrderedDict()  # those holding scratch, in the same order
        self._held_bytes = 0
        self._evictions = 0
        self._lock = threading.Lock()
        self._builders: dict[str, _Builder] = {}

    @contextlib.contextmanager
    def building(self, bank: str) -> Iterator[None]:
        """Held while one thread builds a bank's matrix: concurrent first questions to a cold bank wait
        for that one build instead of each building a copy (about 700 MB each at a million rows). The
        bank's lock is dropped only when no thread holds it or waits for it, so even after a failed
        build every newcomer waits behind the threads already there."""
        with self._lock:
            builder = self._builders.setdefault(bank, _Builder())
            builder.users += 1
        try:
            with builder.lock:
                yield
        finally:
            with self._lock:
                builder.users -= 1
                if not builder.users:
                    del self._builders[bank]

    def get(self, bank: str) -> BankMatrix | None:
        """The bank's matrix for a question: it becomes the most recently asked."""
        with self._lock:
            entry = self._banks.get(bank)
            if entry is None:
                return None
            self._banks.move_to_end(bank)
            if bank in self._with_scratch:
                self._with_scratch.move_to_end(bank)
            return entry.matrix

    def peek(self, bank: str) -> BankMatrix | None:
        """The bank's matrix for a write, which leaves its place in the order as it is."""
        with self._lock:
            entry = self._banks.get(bank)
            return entry.matrix if entry is not None else None

    def put(self, bank: str, matrix: BankMatrix) -> bool:
        """Hold a matrix just built, as the most recently asked, making room past the budget; False if
        it alone is larger than the budget (then it is not held)."""
        with matrix.lock:
            held = matrix.held()
        with self._lock:
            self._forget(bank)
            if not self._fits(held.nbytes):
                return False
            self._banks[bank] = _Entry(matrix, held.nbytes)
            self._held_bytes += held.nbytes
            self._note_scratch(bank, held.scratch)
            self._make_room(bank)
            return True

    def resize(self, bank: str, matrix: BankMatrix, held: Held) -> None:
        """What the matrix holds now (measured under its lock, after a question or a write): make room
        past the budget. Nothing if it is no longer held."""
        with self._lock:
            entry = self._banks.get(bank)
            if entry is None or entry.matrix is not matrix:
                return
            self._held_bytes += held.nbytes - entry.nbytes
            entry.nbytes = held.nbytes
            self._note_scratch(bank, held.scratch)
            self._make_room(bank)

    def drop(self, bank: str) -> None:
        """Forget the bank's matrix (its bank changed elsewhere, or is gone): not an eviction."""
        with self._lock:
            self._forget(bank)

    def items(self) -> list[tuple[str, BankMatrix]]:
        """Every matrix held, least recently asked first."""
        with self._lock:
            return [(bank, entry.matrix) for bank, entry in self._banks.items()]

    def use(self) -> CacheUse:
        with self._lock:
            return CacheUse(len(self._banks), self._held_bytes, self.budget, self._evictions)

    def _fits(self, nbytes: int) -> bool:
        return self.budget is None or nbytes <= self.budget

    def _over(self) -> bool:
        return self.budget is not None and self._held_bytes > self.budget

    def _note_scratch(self, bank: str, held: bool) -> None:
        if not held:
            self._with_scratch.pop(bank, None)
        elif bank not in self._with_scratch:
            self._with_scratch[bank] = None

    def _forget(self, bank: str) -> None:
        entry = self._banks.pop(bank, None)
        self._with_scratch.pop(bank, None)
        if entry is not None:
            self._held_bytes -= entry.nbytes

    def _make_room(self, grown: str) -> None:
        """Past the budget: the scratch of the least recently asked banks that are not answering now,
        then the least recently asked matrices; ``grown`` (the bank just built, asked or written) first
        if it alone is now larger than the budget."""
        for bank in list(self._with_scratch) if self._over() else []:
            if not self._over():
                return
            entry = self._banks[bank]
            if not entry.matrix.lock.acquire(blocking=False):  # answering a question: its scratch is in use
                continue
            try:
                entry.matrix.shed_scratch()
                nbytes = entry.matrix.nbytes()
            finally:
                entry.matrix.lock.release()
            self._held_bytes += nbytes - entry.nbytes
            entry.nbytes = nbytes
            del self._with_scratch[bank]
        if grown in self._banks and not self._fits(self._banks[grown].nbytes):
            self._evict(grown)
        while self._over():
            self._evict(next(iter(self._banks)))

    def _evict(self, bank: str) -> None:
        self._forget(bank)
        self._evictions += 1
