"""`memnn bank export` and `memnn bank import`: a bank moved as a JSON Lines file, straight between a
database and a file, in the lines `GET /banks/{bank}/export` writes and `POST /banks/{bank}/import`
reads, with the same checks (``api.json_lines``). Both stream: memory does not grow with the bank."""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from .api.errors import naming, refusal
from .api.json_lines import export_line, import_batches
from .settings import Settings
from .store import bank_rows, repository, transfer
from .store.database import is_migrated, make_engine, migrate, session_factory

READ_BYTES = 1 << 20  # an import file is read this much at a time
Progress = Callable[[int, int | None], object]  # (rows moved so far, the bank's size when known)


class TransferRefused(ValueError):
    """A file or a bank that cannot be moved: the message names the line, or says why."""


def export_bank(database_url: str, bank: str, out: BinaryIO, progress: Progress | None = None) -> int:
    """Write the bank to ``out``, one line a memory in write order; returns how many."""
    engine = make_engine(database_url)
    written = 0
    try:
        _check_migrated(database_url, engine)
        sessions = sessionmaker(engine)
        with sessions() as session:
            size = bank_rows.bank_size(session, _bank_id(session, bank))
        for row in transfer.export_rows(sessions, bank):
            out.write(export_line(row))
            written += 1
            if progress is not None and (written % transfer.EXPORT_PAGE_ROWS == 0 or written == size):
                progress(written, size)
    finally:
        engine.dispose()
    return written


def import_bank(
    settings: Settings, database_url: str, bank: str, source: BinaryIO, progress: Progress | None = None
) -> int:
    """Load the lines of ``source`` into the empty (or new) bank, embedded by MEMNN_MODEL_PATH's model,
    in one transaction: a bad line leaves nothing. Migrates the database first; returns how many."""
    from .memnn import checkpoint
    from .service import MemoryService

    migrate(database_url)
    engine = make_engine(database_url)
    imported = 0

    def written(rows: int) -> None:
        nonlocal imported
        imported += rows
        if progress is not None:
            progress(imported, None)

    try:
        service = MemoryService(checkpoint.load(settings.model_path), session_factory(engine))
        chunks = iter(lambda: source.read(READ_BYTES), b"")
        return service.import_bank(bank, import_batches(chunks, settings), written)
    except Exception as error:
        if (answer := refusal(error)) is None:
            raise
        _, message, field = answer
        raise TransferRefused(naming(field, message)) from None
    finally:
        engine.dispose()


def _check_migrated(database_url: str, engine: Engine) -> None:
    if not is_migrated(engine):
        where = database_url.split("@")[-1]
        raise TransferRefused(f"{where} holds no memnn schema: `memnn migrate --database-url ...` creates it")


def _bank_id(session: Session, bank: str) -> int:
    try:
        return repository.bank_id(session, bank)
    except repository.BankNotFound:
        raise TransferRefused(f"bank {bank!r} does not exist in that database") from None
