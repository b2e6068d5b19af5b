"""Engine and sessions: SQLite (WAL, busy timeout, foreign keys) or PostgreSQL; Alembic migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from .ids import MemoryIds

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"  # app/migrations: shipped inside the package
SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "handle_error", _reopen_when_read_only)
        return engine
    # a statement waits at most as long for a lock as SQLite's busy timeout, then fails (503) instead of hanging
    options = {"options": f"-c lock_timeout={SQLITE_BUSY_TIMEOUT_MS}"}
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args=options)


def _sqlite_pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _reopen_when_read_only(context) -> None:  # type: ignore[no-untyped-def]
    """SQLite opens a file it cannot write read-only, and a connection stays so once the file can be
    written again (a disk remounted read-write); worse, every connection of the process to that file
    shares its WAL's shared memory, read-only while any such connection lives. So such a failure closes
    its statement and every connection of the pool: the next request opens the file afresh, and a
    recovered disk is written without a restart."""
    if "readonly database" not in str(context.original_exception):
        return
    cursor = getattr(context, "cursor", None)  # none when the failure was the commit
    if cursor is not None:
        cursor.close()
    context.is_disconnect = True
    if context.engine is not None:
        context.engine.dispose()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions of a migrated database; each carries the database's memory id permutation (``ids``)."""
    return sessionmaker(engine, expire_on_commit=False, info={"memory_ids": MemoryIds.load(engine)})


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision``: the only way the schema is made."""
    command.upgrade(alembic_config(url), revision)


def is_migrated(engine: Engine) -> bool:
    return inspect(engine).has_table("memories")
