"""The shapes in which memories leave and enter the store: one record of what a memory says, with
its id and bank when stored, or its history when it travels between stores."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

from .tables import Memory, MemoryVersion


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(kw_only=True)
class MemoryRecord:
    """What a memory says and when: the fields every shape of it shares."""

    position: int
    text: str
    metadata: dict[str, Any] | None
    created_at: datetime
    version: int = 1
    updated_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any], **identity: Any) -> Self:
        """The record from a row's columns by the database's names (``record_columns`` of an ORM row;
        a row being written may lack ``updated_at``), times in UTC; ``identity``: the other fields."""
        updated_at = row.get("updated_at")
        return cls(
            position=row["position"],
            text=row["text"],
            metadata=row["metadata"],
            created_at=as_utc(row["created_at"]),
            version=row["version"],
            updated_at=as_utc(updated_at) if updated_at else None,
            **identity,
        )


def record_columns(memory: Memory) -> dict[str, Any]:
    """An ORM row's record columns by the database's names (its ``meta`` is the ``metadata`` column)."""
    return {
        "position": memory.position,
        "text": memory.text,
        "metadata": memory.meta,
        "created_at": memory.created_at,
        "version": memory.version,
        "updated_at": memory.updated_at,
    }


@dataclass(kw_only=True)
class StoredMemory(MemoryRecord):
    """A memory as the API shows it: ``id`` is the one clients see (``ids.MemoryIds``)."""

    id: int
    bank: str


@dataclass
class Version:
    """An earlier version of a corrected memory (or the current one, last, in a history)."""

    version: int
    text: str
    metadata: dict[str, Any] | None
    recorded_at: datetime

    @classmethod
    def of(cls, earlier: MemoryVersion) -> Version:
        """A version kept in the history (``MemoryVersion``), its time in UTC."""
        return cls(earlier.version, earlier.text, earlier.meta, as_utc(earlier.recorded_at))


@dataclass(kw_only=True)
class Portable(MemoryRecord):
    """A memory as it travels between stores: everything but ids and cached embeddings."""

    history: list[Version] = field(default_factory=list)  # earlier versions, oldest first


@dataclass
class ImportBatch:
    """Consecutive memories of an import, each with the number of the line it came from (an error names it)."""

    rows: list[Portable] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


@dataclass
class NewMemory:
    """A statement on its way in (G): its text, tokens and metadata, and what the model computed of it."""

    text: str
    tokens: list[str]
    metadata: dict[str, Any] | None
    embedding: bytes
    word_ids: bytes | None = None  # int32 vocabulary ids, UNK_ID for the words in ``unseen_words``
    unseen_words: str | None = None  # space-separated (``serving.encode.stored_words``)

    def statement_columns(self, model_version: str) -> dict[str, Any]:
        """The columns G writes of the statement, by name (the same for the table and its ORM class):
        its text and what model ``model_version`` computed of it. Metadata is written apart: its column
        is ``meta`` in the ORM class."""
        return {
            "text": self.text,
            "tokens": self.tokens,
            "model_version": model_version,
            "embedding": self.embedding,
            "word_ids": self.word_ids,
            "unseen_words": self.unseen_words,
        }

    def memory_columns(
        self,
        bank_id: int,
        position: int,
        created_at: datetime,
        model_version: str,
        metadata: dict[str, Any] | None,
        version: int = 1,
        updated_at: datetime | None = None,
    ) -> dict[str, Any]:
        """The whole row of the memories table for this statement at ``position``, by the table's column
        names (metadata's is ``metadata``; the ORM attribute is ``meta``): what G's writes and an
        import insert."""
        return {
            "bank_id": bank_id,
            "position": position,
            "metadata": metadata,
            "created_at": created_at,
            "version": version,
            "updated_at": updated_at,
            **self.statement_columns(model_version),
        }
