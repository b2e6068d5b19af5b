"""Export a bank as rows with their history, and import such rows into an empty bank, a batch at a time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from .bank_rows import bank_size
from .records import ImportBatch, NewMemory, Portable, Version, record_columns
from .repository import INSERT_MEMORY, bank_id, dialect_of, ensure_bank
from .tables import Bank, Memory, MemoryVersion

EXPORT_PAGE_ROWS = 500


class BankNotEmpty(Exception):
    def __init__(self, bank: str, count: int) -> None:
        super().__init__(
            f"bank {bank!r} already holds {count} memories: import into a new or empty bank "
            "(DELETE /memories?bank=... empties it)"
        )


class PositionRepeated(Exception):
    def __init__(self, line: int, position: int) -> None:
        super().__init__(f"position {position} appears twice")
        self.field = f"line {line}: position"


def export_rows(sessions: sessionmaker[Session], bank: str, page_size: int = EXPORT_PAGE_ROWS) -> Iterator[Portable]:
    """The bank's memories in write order, read a page at a time, each page in a session of its own."""
    after: int | None = None
    while True:
        with sessions() as session:
            page = export_page(session, bank, after, page_size)
        yield from page
        if len(page) < page_size:
            return
        after = page[-1].position


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


class BankImport:
    """Exported rows written into an empty bank, a batch at a time, inside the caller's transaction:
    positions, times, metadata and history as they were. Nothing is visible to others before the
    transaction commits, and nothing is left if it rolls back."""

    def __init__(self, session: Session, bank: str) -> None:
        self.session = session
        self.owner = ensure_bank(session, bank)
        # the bank's row first, as every write to it does: a concurrent import (or write) waits for this
        # one to commit and then finds the bank full, instead of both counting none and merging
        session.execute(update(Bank).where(Bank.id == self.owner).values(write_sequence=Bank.write_sequence + 1))
        present = bank_size(session, self.owner)
        if present:
            raise BankNotEmpty(bank, present)
        self.highest = -1  # the highest position written so far

    def write(self, batch: ImportBatch, statements: list[NewMemory], model_version: str) -> None:
        """One executemany for the rows (``statements``: their texts as G stores them: tokens, embedding,
        word ids), one for the earlier versions of those that have any."""
        self._refuse_repeats(batch)
        connection = self.session.connection()
        connection.execute(
            INSERT_MEMORY,
            [
                statement.memory_columns(  # its text is the row's
                    self.owner, row.position, row.created_at, model_version, row.metadata, row.version, row.updated_at
                )
                for row, statement in zip(batch.rows, statements, strict=True)
            ],
        )
        corrected = {row.position: row.history for row in batch.rows if row.history}
        if corrected:
            ids = connection.execute(
                select(Memory.position, Memory.id).where(
                    Memory.bank_id == self.owner, Memory.position.in_(list(corrected))
                )
            )
            connection.execute(
                _INSERT_VERSION,
                [
                    {"memory_id": memory_id, **asdict(v)}  # its fields are the table's columns
                    for position, memory_id in ids
                    for v in corrected[position]
                ],
            )
        self.highest = max(self.highest, *(row.position for row in batch.rows))

    def _refuse_repeats(self, batch: ImportBatch) -> None:
        """A position an earlier line of the import holds is refused, naming the later line. Exports are
        in position order: a batch wholly above every position written needs no query."""
        earlier = [row.position for row in batch.rows if row.position <= self.highest]
        taken = set()
        if earlier:
            taken = set(
                self.session.execute(
                    select(Memory.position).where(Memory.bank_id == self.owner, Memory.position.in_(earlier))
                ).scalars()
            )
        for line, row in zip(batch.lines, batch.rows, strict=True):
            if row.position in taken:
                raise PositionRepeated(line, row.position)
            taken.add(row.position)

    def finish(self) -> None:
        """The bank's next write follows the imported positions."""
        next_position = self.highest + 1
        self.session.execute(
            update(Bank)
            .where(Bank.id == self.owner)
            .values(
                next_position=func.max(Bank.next_position, next_position)
                if dialect_of(self.session) == "sqlite"
                else func.greatest(Bank.next_position, next_position),
            )
        )


_INSERT_VERSION = insert(cast(Table, MemoryVersion.__table__))
