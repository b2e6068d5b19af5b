"""Add, list, get and delete memories. Each function runs inside the caller's transaction."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import numpy as np
from sqlalchemy import Integer, Select, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .filters import MemoryFilter
from .ids import MemoryIds
from .records import NewMemory, StoredMemory, Version, as_utc, record_columns
from .tables import MAX_POSITION, Bank, Memory, MemoryVersion, Readiness, utc_now

NO_FILTER = MemoryFilter()


class BankNotFound(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"bank {name!r} does not exist: add a memory to it with POST /memories first")
        self.name = name


class MemoryNotFound(LookupError):
    def __init__(self, memory_id: int) -> None:
        super().__init__(f"memory {memory_id} does not exist")
        self.memory_id = memory_id


@dataclass
class BankSummary:
    name: str
    memories: int
    created_at: datetime


def memory_ids(session: Session) -> MemoryIds:
    """The ids clients see, from the database's own (``ids.MemoryIds``)."""
    ids: MemoryIds = session.info["memory_ids"]
    return ids


def _row_id(session: Session, public: int) -> int:
    """The database id of the memory a client names; MemoryNotFound if none can have that id."""
    internal = memory_ids(session).internal(public)
    if internal is None:
        raise MemoryNotFound(public)
    return internal


def _stored(session: Session, memory: Memory, bank: str) -> StoredMemory:
    return StoredMemory.from_row(record_columns(memory), id=memory_ids(session).public(memory.id), bank=bank)


def ensure_bank(session: Session, name: str) -> int:
    """The bank's id, creating the bank on its first write (race-free on both databases)."""
    statement = dialect_insert(session)(Bank).values(name=name, next_position=0, write_sequence=0, created_at=utc_now())
    session.execute(statement.on_conflict_do_nothing(index_elements=["name"]))
    return session.execute(select(Bank.id).where(Bank.name == name)).scalar_one()


class BankFull(Exception):
    def __init__(self, bank: str) -> None:
        super().__init__(f"bank {bank!r} has used every write position (at most {MAX_POSITION}): write to a new bank")


@dataclass
class Written:
    """What one write stored: its rows in write order (with the ids clients see), their database ids,
    the bank's id and its new write sequence."""

    rows: list[StoredMemory]
    row_ids: np.ndarray  # int64, the database's ids (what a bank's matrix keeps)
    bank_id: int
    write_sequence: int


def add_memories(session: Session, bank: str, new: list[NewMemory], model_version: str) -> Written:
    """G: write the statements at the bank's next write positions.

    The bank row's counter is advanced by one atomic UPDATE, so concurrent writers get
    disjoint, gap-free positions. Several rows go in as one executemany INSERT (an INSERT ...
    RETURNING that keeps the rows' order runs row by row on SQLite), then one SELECT reads
    their ids back by position, which is unique within a bank.
    """
    connection = session.connection()  # Core statements built once: the ORM's bulk path costs more than the SQL
    advance = {"bank": bank, "count": len(new)}
    advanced = connection.execute(_ADVANCE, advance).one_or_none()
    if advanced is None:  # the bank's first write
        ensure_bank(session, bank)
        advanced = connection.execute(_ADVANCE, advance).one()
    if advanced.next_position > MAX_POSITION + 1:
        raise BankFull(bank)  # before any row is written: the caller's transaction rolls back
    first = advanced.next_position - len(new)
    now = utc_now()
    values = [
        item.memory_columns(advanced.id, first + offset, now, model_version, item.metadata)
        for offset, item in enumerate(new)
    ]
    ids: Sequence[int]
    if len(values) == 1:  # one row: RETURNING has no order to keep
        ids = [connection.execute(_INSERT_RETURNING_ID, values[0]).scalar_one()]
    else:
        connection.execute(INSERT_MEMORY, values)
        span = {"bank_id": advanced.id, "first": first, "end": first + len(new)}
        ids = connection.execute(_IDS_BY_POSITION, span).scalars().all()
    row_ids = np.fromiter(ids, dtype=np.int64, count=len(ids))
    stored = [
        StoredMemory.from_row(row, id=int(public), bank=bank)
        for public, row in zip(memory_ids(session).publics(row_ids), values, strict=True)
    ]
    return Written(stored, row_ids, advanced.id, advanced.write_sequence)


_BANKS, _MEMORIES = cast(Table, Bank.__table__), cast(Table, Memory.__table__)
_ADVANCE = (
    update(_BANKS)
    .where(_BANKS.c.name == bindparam("bank"))
    .values(
        next_position=_BANKS.c.next_position + bindparam("count", type_=Integer),
        write_sequence=_BANKS.c.write_sequence + 1,
    )
    .returning(_BANKS.c.id, _BANKS.c.next_position, _BANKS.c.write_sequence)
)
INSERT_MEMORY = insert(_MEMORIES)  # rows of ``NewMemory.memory_columns``
_INSERT_RETURNING_ID = insert(_MEMORIES).returning(_MEMORIES.c.id)
_IDS_BY_POSITION = (
    select(_MEMORIES.c.id)
    .where(
        _MEMORIES.c.bank_id == bindparam("bank_id"),
        _MEMORIES.c.position >= bindparam("first"),
        _MEMORIES.c.position < bindparam("end"),
    )
    .order_by(_MEMORIES.c.position)
)


def bank_id(session: Session, name: str) -> int:
    found = session.execute(select(Bank.id).where(Bank.name == name)).scalar_one_or_none()
    if found is None:
        raise BankNotFound(name)
    return found


def write_sequence(session: Session, name: str) -> tuple[int, int]:
    """(bank id, write sequence) of an existing bank."""
    row = session.execute(select(Bank.id, Bank.write_sequence).where(Bank.name == name)).one_or_none()
    if row is None:
        raise BankNotFound(name)
    return row.id, row.write_sequence


def list_memories(
    session: Session, bank: str, limit: int, after_position: int | None, where: MemoryFilter = NO_FILTER
) -> tuple[list[StoredMemory], bool, int]:
    """Matching rows in write order after ``after_position``; returns (rows, more follow, matching total)."""
    owner = bank_id(session, bank)
    matching = [Memory.bank_id == owner, *where.clauses(dialect_of(session))]
    query = select(Memory).where(*matching).order_by(Memory.position).limit(limit + 1)
    if after_position is not None:
        query = query.where(Memory.position > after_position)
    rows = list(session.execute(query).scalars())
    total = session.execute(select(func.count()).select_from(Memory).where(*matching)).scalar_one()
    return [_stored(session, row, bank) for row in rows[:limit]], len(rows) > limit, total


def delete_matching(session: Session, bank: str, where: MemoryFilter) -> int:
    """Delete exactly the bank's rows that match; returns how many."""
    owner = bank_id(session, bank)
    matching = [Memory.bank_id == owner, *where.clauses(dialect_of(session))]
    ids = list(session.execute(select(Memory.id).where(*matching)).scalars())
    if ids:
        session.execute(delete(MemoryVersion).where(MemoryVersion.memory_id.in_(ids)))
        session.execute(delete(Memory).where(Memory.id.in_(ids)))
        _touch(session, owner)
    return len(ids)


def correct_memory(
    session: Session,
    memory_id: int,
    rewritten: NewMemory | None,
    metadata: Any,
    model_version: str,
    change_metadata: bool,
) -> StoredMemory:
    """PATCH: keep the current version in the history, then change the statement (to ``rewritten``'s
    text, tokens, embedding and word ids) and/or its metadata in place (the position stays: a
    correction is not a new event).

    The first statement is a write, so concurrent corrections of one memory queue up on its row
    before either reads it: on PostgreSQL its row lock, on SQLite the database's write lock (SQLite
    takes no lock for a SELECT ... FOR UPDATE, and a read first let two corrections read one version)."""
    row_id = _row_id(session, memory_id)
    locked = session.execute(update(Memory).where(Memory.id == row_id).values(version=Memory.version))
    if not locked.rowcount:  # type: ignore[attr-defined]
        raise MemoryNotFound(memory_id)
    row = session.execute(select(Memory).where(Memory.id == row_id)).scalar_one()
    session.add(
        MemoryVersion(
            memory_id=row.id,
            version=row.version,
            text=row.text,
            meta=row.meta,
            recorded_at=row.updated_at or row.created_at,
        )
    )
    if rewritten is not None:
        for column, value in rewritten.statement_columns(model_version).items():
            setattr(row, column, value)
    if change_metadata:
        row.meta = metadata
    row.version += 1
    row.updated_at = utc_now()
    _touch(session, row.bank_id)
    session.flush()
    bank = session.execute(select(Bank.name).where(Bank.id == row.bank_id)).scalar_one()
    return _stored(session, row, bank)


def history(session: Session, memory_id: int) -> list[Version]:
    """Every version of a memory, oldest first; the last is the current one."""
    row_id = _row_id(session, memory_id)
    current = session.get(Memory, row_id)
    if current is None:
        raise MemoryNotFound(memory_id)
    earlier = session.execute(
        select(MemoryVersion).where(MemoryVersion.memory_id == row_id).order_by(MemoryVersion.version)
    ).scalars()
    versions = [Version.of(v) for v in earlier]
    recorded = as_utc(current.updated_at or current.created_at)
    return [*versions, Version(current.version, current.text, current.meta, recorded)]


def _touch(session: Session, owner: int) -> None:
    """Every change moves the bank's write sequence, so caches everywhere notice it."""
    session.execute(update(Bank).where(Bank.id == owner).values(write_sequence=Bank.write_sequence + 1))


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def dialect_insert(session: Session):  # type: ignore[no-untyped-def]
    """The INSERT of the session's database, for its ON CONFLICT DO NOTHING."""
    return postgresql.insert if dialect_of(session) == "postgresql" else sqlite.insert


def get_memory(session: Session, memory_id: int) -> StoredMemory:
    row = session.execute(
        select(Memory, Bank.name).join(Bank, Bank.id == Memory.bank_id).where(Memory.id == _row_id(session, memory_id))
    ).one_or_none()
    if row is None:
        raise MemoryNotFound(memory_id)
    return _stored(session, row[0], row[1])


def current_rows(session: Session, bank: str, row_ids: list[int]) -> tuple[tuple[int, int], dict[int, StoredMemory]]:
    """((bank id, write sequence), the bank's rows with these database ids that exist, by database id)
    in one query: an answer computed from a matrix checks with it that the matrix was current, and
    gets its evidence. Runs on every /ask, so it reads plain columns through the Core connection."""
    ids = row_ids or [-1]
    parameters = {f"id{k}": row_id for k, row_id in enumerate(ids)} | {"bank": bank}
    found = session.connection().execute(_evidence_query(len(ids)), parameters).all()
    if not found:
        raise BankNotFound(bank)
    public = memory_ids(session).public
    memories = {
        row.memory_id: StoredMemory.from_row(row._mapping, id=public(row.memory_id), bank=bank)
        for row in found
        if row.memory_id is not None
    }
    return (found[0].bank_id, found[0].write_sequence), memories


@functools.lru_cache(maxsize=128)
def _evidence_query(count: int) -> Select[Any]:
    """The bank's write position and the rows among ``count`` ids. One bound parameter per id: an
    "expanding" IN list is rendered again at every execution, which cost ~0.5 ms."""
    wanted = [bindparam(f"id{k}", type_=Integer) for k in range(count)]
    return (
        select(
            Bank.id.label("bank_id"),
            Bank.write_sequence,
            Memory.id.label("memory_id"),
            Memory.position,
            Memory.text,
            Memory.meta.label("metadata"),
            Memory.created_at,
            Memory.version,
            Memory.updated_at,
        )
        .outerjoin(Memory, (Memory.bank_id == Bank.id) & Memory.id.in_(wanted))
        .where(Bank.name == bindparam("bank"))
    )


def delete_memory(session: Session, memory_id: int) -> StoredMemory:
    """Forget one memory; the positions of the others stay as written."""
    stored = get_memory(session, memory_id)
    row_id = _row_id(session, memory_id)
    session.execute(delete(MemoryVersion).where(MemoryVersion.memory_id == row_id))
    session.execute(delete(Memory).where(Memory.id == row_id))
    session.execute(update(Bank).where(Bank.name == stored.bank).values(write_sequence=Bank.write_sequence + 1))
    return stored


def record_readiness(session: Session) -> None:
    """A real write (``GET /readyz``): the one readiness row's check time."""
    now = utc_now()
    if not session.execute(update(Readiness).where(Readiness.id == 1).values(checked_at=now)).rowcount:  # type: ignore[attr-defined]
        session.execute(dialect_insert(session)(Readiness).values(id=1, checked_at=now).on_conflict_do_nothing())


def list_banks(session: Session) -> list[BankSummary]:
    counts = (
        select(Bank.name, Bank.created_at, func.count(Memory.id))
        .outerjoin(Memory, Memory.bank_id == Bank.id)
        .group_by(Bank.id, Bank.name, Bank.created_at)
        .order_by(Bank.name)
    )
    return [BankSummary(name, count, as_utc(created)) for name, created, count in session.execute(counts)]


def delete_bank(session: Session, name: str) -> int:
    """Delete a bank and all its memories; returns how many memories were deleted."""
    owner = bank_id(session, name)
    deleted = session.execute(select(func.count()).select_from(Memory).where(Memory.bank_id == owner)).scalar_one()
    memory_ids = select(Memory.id).where(Memory.bank_id == owner).scalar_subquery()
    session.execute(delete(MemoryVersion).where(MemoryVersion.memory_id.in_(memory_ids)))
    session.execute(delete(Memory).where(Memory.bank_id == owner))
    session.execute(delete(Bank).where(Bank.id == owner))
    return int(deleted)
