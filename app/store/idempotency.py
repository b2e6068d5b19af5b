"""Idempotency-Key for POST /memories: the same key and body replay the first response."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .filters import stored_time
from .repository import dialect_insert, dialect_of
from .tables import IdempotencyKey, utc_now


class KeyReused(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(f"Idempotency-Key {key!r} was already used with a different request body: use a new key")


def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def replay(session: Session, key: str, fingerprint: str, keep: timedelta) -> dict[str, Any] | None:
    """The stored response for this key and body, None if the key is new (or expired);
    ``KeyReused`` if the key came with another body."""
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < _expired(session, keep)))
    row = session.get(IdempotencyKey, key)
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise KeyReused(key)
    stored: dict[str, Any] = json.loads(row.response)
    return stored


def remember(session: Session, key: str, fingerprint: str, response: dict[str, Any]) -> bool:
    """Store the response in the caller's transaction; False if a concurrent request stored it first."""
    statement = dialect_insert(session)(IdempotencyKey).values(
        key=key, request_hash=fingerprint, response=json.dumps(response), created_at=utc_now()
    )
    result = session.execute(statement.on_conflict_do_nothing(index_elements=["key"]))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def stored_response(session: Session, key: str) -> tuple[str, dict[str, Any]]:
    row = session.execute(select(IdempotencyKey).where(IdempotencyKey.key == key)).scalar_one()
    return row.request_hash, json.loads(row.response)


def _expired(session: Session, keep: timedelta) -> datetime:
    return stored_time(utc_now() - keep, dialect_of(session))
