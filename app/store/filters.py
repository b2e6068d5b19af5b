"""Which memories a request means: metadata equality and a creation-time window.

The same filter selects rows in SQL (listing, deleting) and rows of a bank's in-memory matrix
(asking), so both must agree: metadata values are matched as JSON strings only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func

from .tables import Memory

FILTER_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class MemoryFilter:
    metadata: dict[str, str] = field(default_factory=dict)
    created_after: datetime | None = None  # strictly after
    created_before: datetime | None = None  # strictly before

    @property
    def is_empty(self) -> bool:
        return not self.metadata and self.created_after is None and self.created_before is None

    def clauses(self, dialect: str) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        for key, value in self.metadata.items():
            if dialect == "postgresql":
                is_string = func.json_typeof(Memory.meta[key]) == "string"
            else:
                is_string = func.json_type(Memory.meta, f'$."{key}"') == "text"
            clauses += [is_string, Memory.meta[key].as_string() == value]
        if self.created_after is not None:
            clauses.append(Memory.created_at > stored_time(self.created_after, dialect))
        if self.created_before is not None:
            clauses.append(Memory.created_at < stored_time(self.created_before, dialect))
        return clauses


def stored_time(moment: datetime, dialect: str) -> datetime:
    """SQLite keeps UTC datetimes without their zone: compare like with like."""
    utc = moment.astimezone(UTC)
    return utc.replace(tzinfo=None) if dialect == "sqlite" else utc
