"""A bank's rows a column at a time, as its in-memory matrix is built from them, and the rows that
model embeds and encodes again on the way (another model version's, or rows stored without word ids),
stored back. Each function runs inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .records import as_utc
from .repository import dialect_of
from .tables import Memory


@dataclass
class BankColumns:
    """Rows of a bank, column by column, in write order: what its in-memory matrix is built from."""

    ids: np.ndarray  # int64
    embeddings: np.ndarray  # (n, width) float32, read-only: a view of the driver's bytes
    metadata: list[dict[str, Any] | None]
    created: np.ndarray  # UTC timestamps, float64
    word_ids: list[bytes | None]  # int32 bytes per row (see ``Memory.word_ids``)
    unseen_words: list[str | None]
    tokens: list[list[str] | None]  # only for the stale rows: those to be embedded and encoded again

    def stale(self) -> np.ndarray:
        """Indices of the rows embedded by another model version, or stored without word ids."""
        if self.tokens.count(None) == len(self.tokens):
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero([tokens is not None for tokens in self.tokens])

    def refresh(self, row: int, embedding: np.ndarray, word_ids: bytes, unseen_words: str | None) -> None:
        if not self.embeddings.flags.writeable:  # read-only as read
            self.embeddings = self.embeddings.copy()
        self.embeddings[row] = embedding
        self.word_ids[row], self.unseen_words[row], self.tokens[row] = word_ids, unseen_words, None


# a chunk's embeddings (2000 x 512 bytes) stay under malloc's mmap threshold (1 MiB, ``app.process_memory``),
# so each chunk reuses the heap pages of the one before instead of faulting in fresh ones
BANK_CHUNK_ROWS = 2_000


def _bank_columns_sql(postgres: bool) -> str:
    # JSON columns as text: PostgreSQL casts them; SQLite stores them as text, and a CAST there
    # cost more than the rest of a million rows' columns together
    metadata, tokens = ("CAST(metadata AS TEXT)", "CAST(tokens AS TEXT)") if postgres else ("metadata", "tokens")
    marker = "%s" if postgres else "?"
    return (
        f"SELECT id, embedding, NULLIF({metadata}, 'null'), created_at, word_ids, unseen_words, "
        f"CASE WHEN word_ids IS NULL OR model_version <> {marker} THEN {tokens} END "
        f"FROM memories WHERE bank_id = {marker} ORDER BY position"
    )


def bank_size(session: Session, owner: int) -> int:
    return int(session.execute(select(func.count()).select_from(Memory).where(Memory.bank_id == owner)).scalar_one())


def bank_columns(
    session: Session, owner: int, width: int, model_version: str, chunk_rows: int = BANK_CHUNK_ROWS
) -> Iterator[BankColumns]:
    """Every memory of the bank in write order, ``chunk_rows`` at a time, read in one query through
    the driver's own cursor and converted a column at a time: no per-row objects beyond the
    driver's tuples, and no more than one chunk of them alive at once. Tokens are read only for
    the rows not embedded and encoded by ``model_version``."""
    postgres = dialect_of(session) == "postgresql"
    # PostgreSQL: a server-side cursor, so the driver does not hold the whole result either
    connection = session.connection().connection
    cursor = connection.cursor(name=f"bank_{owner}") if postgres else connection.cursor()
    try:
        cursor.execute(_bank_columns_sql(postgres), (model_version, owner))
        while rows := cursor.fetchmany(chunk_rows):
            yield _columns(rows, width)
    finally:
        cursor.close()


def _columns(rows: Sequence[Any], width: int) -> BankColumns:
    ids, blobs, metadata, created, word_ids, unseen_words, tokens = zip(*rows, strict=True)
    return BankColumns(
        ids=np.fromiter(ids, dtype=np.int64, count=len(rows)),
        embeddings=np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(rows), width),
        metadata=_parsed(metadata),
        created=_timestamps(list(created)),
        word_ids=list(word_ids),
        unseen_words=list(unseen_words),
        tokens=_parsed(tokens),
    )


def _parsed(texts: tuple[str | None, ...]) -> list[Any]:
    """JSON texts parsed, None kept; a column of only NULLs (the usual case) costs no Python loop."""
    if texts.count(None) == len(texts):
        return [None] * len(texts)
    return [json.loads(text) if text is not None else None for text in texts]


def _timestamps(values: list[Any]) -> np.ndarray:
    """SQLite hands back UTC datetimes as text, PostgreSQL as datetime objects."""
    if values and isinstance(values[0], str):
        return np.array(values, dtype="datetime64[us]").astype(np.int64) / 1e6
    return np.fromiter((as_utc(value).timestamp() for value in values), dtype=np.float64, count=len(values))


@dataclass
class Refreshed:
    """A row embedded and encoded again by this model version."""

    embedding: bytes
    word_ids: bytes
    unseen_words: str | None


def store_refreshed(session: Session, rows: dict[int, Refreshed], model_version: str) -> None:
    """Replace rows' cached embeddings and word ids (a new model version, or word ids not stored yet)."""
    if rows:
        session.execute(
            update(Memory),
            [
                {
                    "id": memory_id,
                    "embedding": row.embedding,
                    "word_ids": row.word_ids,
                    "unseen_words": row.unseen_words,
                    "model_version": model_version,
                }
                for memory_id, row in rows.items()
            ],
        )


def stale_bank_ids(session: Session, model_version: str) -> list[int]:
    """Banks holding rows embedded by another model version, or stored without word ids."""
    stale = (Memory.model_version != model_version) | Memory.word_ids.is_(None)
    query = select(Memory.bank_id).where(stale).distinct()
    return list(session.execute(query).scalars())
