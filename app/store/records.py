"""The shapes in which memories leave and enter the store: one record of what a memory says, with
its id and bank when stored, or its history when it travels between stores."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .tables import Memory


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

    @staticmethod
    def columns(memory: Memory) -> dict[str, Any]:
        """A row's record fields, by name (times in UTC)."""
        return {
            "position": memory.position,
            "text": memory.text,
            "metadata": memory.meta,
            "created_at": as_utc(memory.created_at),
            "version": memory.version,
            "updated_at": as_utc(memory.updated_at) if memory.updated_at else None,
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


@dataclass(kw_only=True)
class Portable(MemoryRecord):
    """A memory as it travels between stores: everything but ids and cached embeddings."""

    history: list[Version] = field(default_factory=list)  # earlier versions, oldest first


@dataclass
class NewMemory:
    """A statement on its way in (G): its text, tokens and metadata, and what the model computed of it."""

    text: str
    tokens: list[str]
    metadata: dict[str, Any] | None
    embedding: bytes
    word_ids: bytes | None = None  # int32 vocabulary ids, UNK_ID for the words in ``unseen_words``
    unseen_words: str | None = None  # space-separated (``serving.encode.stored_words``)
