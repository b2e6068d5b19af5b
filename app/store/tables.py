"""SQLAlchemy 2.0 typed tables: banks and their memories. Alembic revisions create them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

BANK_NAME_LENGTH = 64
MODEL_VERSION_LENGTH = 32
# Write positions stay at or below 2**53 - 1, the largest integer every JSON client reads exactly
# (and far from the 64-bit columns' end, so ``next_position`` never overflows).
MAX_POSITION = 2**53 - 1
MAX_VERSION = 2**31 - 1  # ``version`` is a 32-bit column


def utc_now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Bank(Base):
    """One independent memory. ``next_position`` is the write index G gives the next statement;
    ``write_sequence`` grows with every change, so a cache can tell whether it is current."""

    __tablename__ = "banks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(BANK_NAME_LENGTH), unique=True)
    next_position: Mapped[int] = mapped_column(BigInteger, default=0)
    write_sequence: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Memory(Base):
    """One statement, stored verbatim, with its tokens and its cached embeddings.

    ``embedding`` (float32 bytes) and ``word_ids`` were computed by model ``model_version``; rows
    of another version are re-embedded before they take part in an answer.
    """

    __tablename__ = "memories"
    # SQLite's AUTOINCREMENT: a deleted memory's id is never given to a new one (a retried DELETE of an
    # old id must not forget a new memory); PostgreSQL's sequences never reuse ids anyway
    __table_args__ = (
        UniqueConstraint("bank_id", "position", name="uq_memories_bank_position"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    tokens: Mapped[list[str]] = mapped_column(JSON)
    meta: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON, nullable=True)
    model_version: Mapped[str] = mapped_column(String(MODEL_VERSION_LENGTH))
    embedding: Mapped[bytes] = mapped_column(LargeBinary)
    # the tokens as model ``model_version``'s vocabulary has them: int32 ids, UNK_ID where it lacks the
    # word, and those words space-separated (a bank loads from these without re-encoding any token);
    # NULL for rows written before they existed, filled in at the bank's next load
    word_ids: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    unseen_words: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=sql_text("1"))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class MemoryVersion(Base):
    """An earlier version of a corrected memory (PATCH keeps what it said before)."""

    __tablename__ = "memory_versions"
    __table_args__ = (UniqueConstraint("memory_id", "version", name="uq_memory_versions_memory_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    memory_id: Mapped[int] = mapped_column(ForeignKey("memories.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IdempotencyKey(Base):
    """The first response to a POST /memories sent with an Idempotency-Key header, per API key
    (``owner``: its id, 0 with keys switched off). The row is inserted before the write, in the
    same transaction, so the database's own primary-key conflict decides which request writes.
    ``bank_id``, ``first_position`` and ``count`` say which rows the write made."""

    __tablename__ = "idempotency_keys"

    owner: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[str] = mapped_column(Text)
    bank_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    first_position: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, index=True)


class Readiness(Base):
    """One row that ``GET /readyz`` writes: a server is ready only if it can commit a write."""

    __tablename__ = "readiness"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ApiKey(Base):
    """An API key, stored as its sha256 hash only; scoped to banks and to read or write."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(8))  # "read" or "write" (write includes read)
    banks: Mapped[list[str]] = mapped_column(JSON)  # bank names, or ["*"] for every bank
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ServiceSecret(Base):
    """Secrets the service's processes share through the database (``ids.MemoryIds``'s key)."""

    __tablename__ = "service_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # hex
