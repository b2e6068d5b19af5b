"""Memory ids as clients see them: a keyed permutation of the database's own ids.

The database numbers memories in one sequence for every bank, so the ids a tenant receives would
tell it how much every other tenant wrote in between. Clients get the sequence number run through
a Feistel network keyed by a secret the database holds (made by migration 0005): a bijection of
1 .. 2**52 (every JSON client reads such ids exactly), so ids stay unique and stable and map back
without a lookup table. It hides the order of writes from anyone without the secret; it is
not meant to withstand cryptanalysis by someone who can choose internal ids (nobody outside can).
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import Engine, select

from .tables import ServiceSecret

ID_SECRET = "memory_ids"
HALF_BITS = 26
SPACE = 1 << (2 * HALF_BITS)  # public (and database) ids are 1 .. SPACE
HALF_MASK = (1 << HALF_BITS) - 1
ROUNDS = 6
WORD = (1 << 64) - 1
MIX_A, MIX_B = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB  # splitmix64's multipliers


class MemoryIds:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 8 * ROUNDS:
            raise ValueError(f"the memory id secret must be at least {8 * ROUNDS} bytes")
        self.keys = [int.from_bytes(secret[8 * r : 8 * r + 8], "little") for r in range(ROUNDS)]
        self._keys = np.array(self.keys, dtype=np.uint64)

    @staticmethod
    def load(engine: Engine) -> MemoryIds:
        with engine.connect() as connection:
            value = connection.execute(select(ServiceSecret.value).where(ServiceSecret.name == ID_SECRET)).scalar()
        if value is None:
            raise RuntimeError("the database has no memory id secret: run `memnn migrate`")
        return MemoryIds(bytes.fromhex(value))

    def public(self, internal: int) -> int:
        if not 1 <= internal <= SPACE:
            raise ValueError(f"memory id {internal} is outside 1 .. {SPACE}")
        return self._encrypt(internal - 1) + 1

    def internal(self, public: int) -> int | None:
        """The database id behind a public id; None for a number no memory id can be."""
        if not 1 <= public <= SPACE:
            return None
        return self._decrypt(public - 1) + 1

    def publics(self, internal: np.ndarray) -> np.ndarray:
        """``public`` of many ids at once (int64 in, int64 out)."""
        if len(internal) and not (internal.min() >= 1 and internal.max() <= SPACE):
            raise ValueError(f"memory ids outside 1 .. {SPACE}")
        return (self._encrypt_many(internal.astype(np.uint64) - np.uint64(1)) + np.uint64(1)).astype(np.int64)

    def _round(self, key: int, half: int) -> int:
        mixed = ((half ^ key) * MIX_A) & WORD
        mixed = ((mixed ^ (mixed >> 31)) * MIX_B) & WORD
        return (mixed >> 29) & HALF_MASK

    def _encrypt(self, value: int) -> int:
        left, right = value >> HALF_BITS, value & HALF_MASK
        for key in self.keys:
            left, right = right, left ^ self._round(key, right)
        return (left << HALF_BITS) | right

    def _decrypt(self, value: int) -> int:
        left, right = value >> HALF_BITS, value & HALF_MASK
        for key in reversed(self.keys):
            left, right = right ^ self._round(key, left), left
        return (left << HALF_BITS) | right

    def _encrypt_many(self, values: np.ndarray) -> np.ndarray:
        mask, bits = np.uint64(HALF_MASK), np.uint64(HALF_BITS)
        left, right = values >> bits, values & mask
        with np.errstate(over="ignore"):
            for key in self._keys:
                mixed = (right ^ key) * np.uint64(MIX_A)
                mixed = (mixed ^ (mixed >> np.uint64(31))) * np.uint64(MIX_B)
                left, right = right, left ^ ((mixed >> np.uint64(29)) & mask)
        return (left << bits) | right
