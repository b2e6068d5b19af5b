"""API keys: created once (the secret is shown only then), stored as sha256 hashes, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .repository import as_utc
from .tables import ApiKey, utc_now

SCOPES = ("read", "write")
ALL_BANKS = "*"
KEY_PREFIX = "mk_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a key's id (0 with keys switched off), name, scope and banks."""

    key_id: int
    name: str
    scope: str
    banks: tuple[str, ...]

    def may(self, bank: str, scope: str) -> bool:
        in_scope = self.scope == "write" or scope == "read"
        return in_scope and (ALL_BANKS in self.banks or bank in self.banks)


@dataclass
class KeyInfo:
    id: int
    name: str
    scope: str
    banks: list[str]
    created_at: str
    revoked: bool


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, name: str, scope: str, banks: list[str]) -> str:
    """Store a new key's hash; returns the key itself, which is never stored or shown again."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    if not banks:
        raise ValueError("name at least one bank, or '*' for every bank")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(name=name, key_hash=hash_key(key), scope=scope, banks=banks, created_at=utc_now()))
    session.flush()
    return key


def authenticate(session: Session, key: str) -> Principal | None:
    """The key's principal, or None for an unknown or revoked key."""
    presented = hash_key(key)
    row = session.execute(select(ApiKey).where(ApiKey.key_hash == presented)).scalar_one_or_none()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, presented):
        return None
    return Principal(row.id, row.name, row.scope, tuple(row.banks))


def list_keys(session: Session) -> list[KeyInfo]:
    rows = session.execute(select(ApiKey).order_by(ApiKey.id)).scalars()
    return [
        KeyInfo(r.id, r.name, r.scope, list(r.banks), as_utc(r.created_at).isoformat(), r.revoked_at is not None)
        for r in rows
    ]


def revoke_key(session: Session, key_id: int) -> bool:
    result = session.execute(
        update(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None)).values(revoked_at=utc_now())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def any_active_key(session: Session) -> bool:
    return session.execute(select(ApiKey.id).where(ApiKey.revoked_at.is_(None)).limit(1)).first() is not None
