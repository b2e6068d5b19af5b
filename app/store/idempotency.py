"""Idempotency-Key for POST /memories: the same key and body replay the first response.

A request claims its key by inserting the key's row first, in the transaction that writes its
memories; the database's primary-key conflict (``ON CONFLICT DO NOTHING ... RETURNING``, the
same on SQLite and PostgreSQL) decides which of several concurrent requests writes. The others
wait for that transaction, then replay what it stored, or get a 409.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from .filters import stored_time
from .repository import dialect_insert, dialect_of
from .tables import IdempotencyKey, Memory, utc_now


class KeyReused(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(f"Idempotency-Key {key!r} was already used with a different request body: use a new key")


class KeyOutlived(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(
            f"the memories written with Idempotency-Key {key!r} have been deleted since: "
            "send the write again with a new key"
        )


@dataclass(frozen=True)
class IdempotentRequest:
    """A write sent with an Idempotency-Key: whose key, the key, the body's hash, how long keys last."""

    owner: int  # the API key's id (0 with keys switched off): keys are never shared between API keys
    key: str
    fingerprint: str
    keep: timedelta


def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def claim(session: Session, request: IdempotentRequest) -> bool:
    """Insert the key's row in the caller's transaction. True: this request owns the key and writes
    (then ``finish``); False: a request with this key committed first (``replay`` it). Waits for a
    concurrent request holding the key to commit or roll back (the database's row lock)."""
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < _expired(session, request.keep)))
    statement = (
        dialect_insert(session)(IdempotencyKey)
        .values(
            owner=request.owner,
            key=request.key,
            request_hash=request.fingerprint,
            response="",  # filled in by ``finish`` before the transaction commits
            created_at=utc_now(),
        )
        .on_conflict_do_nothing(index_elements=["owner", "key"])
        .returning(IdempotencyKey.key)
    )
    return session.execute(statement).first() is not None


def finish(
    session: Session, request: IdempotentRequest, response: dict[str, Any], bank_id: int, first: int, count: int
) -> None:
    """Store the response of the write this request made (rows ``first`` .. ``first + count - 1``)."""
    session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.owner == request.owner, IdempotencyKey.key == request.key)
        .values(response=json.dumps(response), bank_id=bank_id, first_position=first, count=count)
    )


def replay(session: Session, request: IdempotentRequest) -> dict[str, Any]:
    """The first response to this key: ``KeyReused`` if it came with another body, ``KeyOutlived``
    if the memories it wrote are gone (a replay must not name ids that no longer exist)."""
    row = session.execute(
        select(IdempotencyKey).where(IdempotencyKey.owner == request.owner, IdempotencyKey.key == request.key)
    ).scalar_one()
    if row.request_hash != request.fingerprint:
        raise KeyReused(request.key)
    if row.bank_id is not None and row.first_position is not None and row.count:
        end = row.first_position + row.count
        remaining = session.execute(
            select(func.count())
            .select_from(Memory)
            .where(Memory.bank_id == row.bank_id, Memory.position >= row.first_position, Memory.position < end)
        ).scalar_one()
        if remaining != row.count:
            raise KeyOutlived(request.key)
    stored: dict[str, Any] = json.loads(row.response)
    return stored


def _expired(session: Session, keep: timedelta) -> datetime:
    return stored_time(utc_now() - keep, dialect_of(session))
