import pytest

from app.store import repository
from app.store.database import make_engine, migrate, session_factory
from app.store.records import NewMemory


@pytest.fixture
def sessions(database_url):
    migrate(database_url)
    engine = make_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


def _new(*texts):
    return [NewMemory(t, t.lower().split(), None, b"\x00" * 8) for t in texts]


def test_positions_continue_across_writes_and_stay_after_a_delete(sessions):
    with sessions.begin() as session:
        first = repository.add_memories(session, "b1", _new("a", "b"), "v1")
    with sessions.begin() as session:
        second = repository.add_memories(session, "b1", _new("c"), "v1")
    assert [m.position for m in first.rows + second.rows] == [0, 1, 2]
    assert second.write_sequence == first.write_sequence + 1 and second.bank_id == first.bank_id
    with sessions.begin() as session:
        repository.delete_memory(session, first.rows[1].id)
        third = repository.add_memories(session, "b1", _new("d"), "v1")
    assert third.rows[0].position == 3  # positions are never reused
    with sessions() as session:
        rows, more, total = repository.list_memories(session, "b1", 10, None)
    assert [r.text for r in rows] == ["a", "c", "d"] and not more and total == 3


def test_banks_are_separate(sessions):
    with sessions.begin() as session:
        repository.add_memories(session, "b1", _new("one"), "v1")
        repository.add_memories(session, "b2", _new("two", "three"), "v1")
    with sessions() as session:
        rows, _, total = repository.list_memories(session, "b1", 10, None)
        banks = {b.name: b.memories for b in repository.list_banks(session)}
    assert [r.text for r in rows] == ["one"] and total == 1
    assert banks == {"b1": 1, "b2": 2}
    with sessions.begin() as session:
        assert repository.delete_bank(session, "b2") == 2
    with sessions() as session, pytest.raises(repository.BankNotFound):
        repository.list_memories(session, "b2", 10, None)


def test_paging_by_position(sessions):
    with sessions.begin() as session:
        repository.add_memories(session, "b1", _new(*[f"s{i}" for i in range(5)]), "v1")
    with sessions() as session:
        page, more, _ = repository.list_memories(session, "b1", 2, None)
        rest, more_after, _ = repository.list_memories(session, "b1", 10, page[-1].position)
    assert [r.text for r in page] == ["s0", "s1"] and more
    assert [r.text for r in rest] == ["s2", "s3", "s4"] and not more_after


def test_odd_text_is_stored_exactly(sessions):
    odd = ["Zoë went to the café.", "Фёдор пошёл домой.", "🥛 is in the 🏢", "Robert'); DROP TABLE memories;--"]
    with sessions.begin() as session:
        repository.add_memories(session, "b1", _new(*odd), "v1")
    with sessions() as session:
        rows, _, _ = repository.list_memories(session, "b1", 10, None)
    assert [r.text for r in rows] == odd


def test_a_deleted_memorys_id_is_never_given_to_a_new_one(sessions):
    with sessions.begin() as session:
        first = repository.add_memories(session, "b1", _new("a", "b"), "v1")
    with sessions.begin() as session:
        repository.delete_memory(session, first.rows[1].id)
    with sessions.begin() as session:
        again = repository.add_memories(session, "b1", _new("c"), "v1")
    assert again.rows[0].id not in {m.id for m in first.rows}  # a retried DELETE of the old id finds nothing
    assert int(again.row_ids[0]) > int(first.row_ids[1])
