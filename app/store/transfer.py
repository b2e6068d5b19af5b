"""Export a bank as rows with their history, and import such rows into an empty bank."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .records import NewMemory, Portable, Version, record_columns
from .repository import bank_id, dialect_of, ensure_bank
from .tables import Bank, Memory, MemoryVersion


class BankNotEmpty(Exception):
    def __init__(self, bank: str, count: int) -> None:
        super().__init__(
            f"bank {bank!r} already holds {count} memories: import into a new or empty bank "
            "(DELETE /memories?bank=... empties it)"
        )


def export_page(session: Session, bank: str, after_position: int | None, limit: int) -> list[Portable]:
    owner = bank_id(session, bank)
    query = select(Memory).where(Memory.bank_id == owner).order_by(Memory.position).limit(limit)
    if after_position is not None:
        query = query.where(Memory.position > after_position)
    memories = list(session.execute(query).scalars())
    versions = session.execute(
        select(MemoryVersion)
        .where(MemoryVersion.memory_id.in_([m.id for m in memories]))
        .order_by(MemoryVersion.memory_id, MemoryVersion.version)
    ).scalars()
    earlier: dict[int, list[Version]] = {}
    for v in versions:
        earlier.setdefault(v.memory_id, []).append(Version.of(v))
    return [Portable.from_row(record_columns(m), history=earlier.get(m.id, [])) for m in memories]


def import_rows(
    session: Session,
    bank: str,
    rows: list[Portable],
    statements: list[NewMemory],
    model_version: str,
) -> None:
    """Write exported rows into an empty bank, positions, times and history as they were;
    ``statements`` are their texts as G stores them (tokens, embedding, word ids)."""
    owner = ensure_bank(session, bank)
    # the bank's row first, as every write to it does: a concurrent import (or write) waits for this
    # one to commit and then finds the bank full, instead of both counting none and merging
    session.execute(update(Bank).where(Bank.id == owner).values(write_sequence=Bank.write_sequence + 1))
    present = session.execute(select(func.count()).select_from(Memory).where(Memory.bank_id == owner)).scalar_one()
    if present:
        raise BankNotEmpty(bank, present)
    for row, statement in zip(rows, statements, strict=True):
        memory = Memory(
            bank_id=owner,
            position=row.position,
            meta=row.metadata,
            created_at=row.created_at,
            version=row.version,
            updated_at=row.updated_at,
            **statement.statement_columns(model_version),  # its text is the row's
        )
        session.add(memory)
        session.flush()
        session.add_all(
            MemoryVersion(
                memory_id=memory.id, version=v.version, text=v.text, meta=v.metadata, recorded_at=v.recorded_at
            )
            for v in row.history
        )
    next_position = max((row.position for row in rows), default=-1) + 1
    session.execute(
        update(Bank)
        .where(Bank.id == owner)
        .values(
            next_position=func.max(Bank.next_position, next_position)
            if dialect_of(session) == "sqlite"
            else func.greatest(Bank.next_position, next_position),
        )
    )
