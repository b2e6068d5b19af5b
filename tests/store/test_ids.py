"""Memory ids as clients see them: a keyed bijection of the database's sequence that hides its order."""

import secrets

import numpy as np

from app.store.ids import SPACE, MemoryIds


def test_public_ids_are_a_bijection_that_maps_back():
    ids = MemoryIds(secrets.token_bytes(48))
    internal = np.r_[np.arange(1, 5001), [SPACE - 1, SPACE, 2**40]].astype(np.int64)
    public = ids.publics(internal)
    assert public.tolist() == [ids.public(int(i)) for i in internal]  # the vectorised and the scalar path agree
    assert len(set(public.tolist())) == len(public) and public.min() >= 1 and public.max() <= SPACE <= 2**53
    assert [ids.internal(int(p)) for p in public] == internal.tolist()
    assert ids.internal(0) is None and ids.internal(SPACE + 1) is None and ids.internal(2**63 - 1) is None


def test_consecutive_rows_get_ids_that_say_nothing_of_their_order():
    ids = MemoryIds(secrets.token_bytes(48))
    public = ids.publics(np.arange(1, 1001, dtype=np.int64))
    steps = np.diff(public)
    assert 400 < (steps > 0).sum() < 600  # as often down as up
    assert np.median(np.abs(steps)) > SPACE / 10  # and far apart
    other = MemoryIds(secrets.token_bytes(48)).publics(np.arange(1, 1001, dtype=np.int64))
    assert not np.array_equal(public, other)  # another database, another secret
