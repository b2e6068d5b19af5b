"""What the service answers, as the client reads it: the response models of ``app/api/schemas.py``,
field for field (``tests/api/test_client.py`` holds them to it), without the server's imports
(importing the schemas would import torch, a second and a half before the first request)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Response(BaseModel):
    """A field a newer server adds is ignored, so an older client keeps working."""

    model_config = ConfigDict(extra="ignore")


class FieldError(Response):
    field: str
    message: str


class ErrorResponse(Response):
    detail: str
    errors: list[FieldError] = Field(default_factory=list)


class MemoryOut(Response):
    id: int
    bank: str
    position: int
    text: str
    metadata: dict[str, Any] | None = None
    created_at: datetime
    version: int = 1
    updated_at: datetime | None = None


class MemoriesCreated(Response):
    bank: str
    memories: list[MemoryOut]


class MemoryPage(Response):
    bank: str
    memories: list[MemoryOut]
    next_cursor: str | None
    total: int


class DeletedCount(Response):
    bank: str
    deleted: int


class VersionOut(Response):
    version: int
    text: str
    metadata: dict[str, Any] | None
    recorded_at: datetime


class HistoryOut(Response):
    id: int
    bank: str
    versions: list[VersionOut]


class Alternative(Response):
    answer: str
    score: float


class EvidenceOut(Response):
    id: int
    text: str
    position: int
    hop: int
    score: float


class CandidateOut(Response):
    id: int
    text: str
    position: int
    score: float
    chosen: bool


class HopOut(Response):
    hop: int
    candidates: list[CandidateOut]
    stop_score: float


class ModelRef(Response):
    name: str
    version: str


class AskOut(Response):
    answer: str
    score: float
    alternatives: list[Alternative]
    evidence: list[EvidenceOut]
    model: ModelRef
    hops: list[HopOut] | None = None


class BankOut(Response):
    name: str
    memories: int
    created_at: datetime


class BanksOut(Response):
    banks: list[BankOut]


class BankDeleted(Response):
    bank: str
    deleted: int


class ImportResult(Response):
    bank: str
    imported: int


class ExportLine(Response):
    """One line of a bank's export, and of an import."""

    position: int
    text: str
    metadata: dict[str, Any] | None = None
    created_at: datetime
    version: int = 1
    updated_at: datetime | None = None
    history: list[VersionOut] = Field(default_factory=list)


class ModelInfo(Response):
    name: str
    version: str
    vocabulary_size: int
    max_hops: int
    embedding_dim: int
    training: dict[str, Any]
    test_accuracy: dict[str, Any] | None


class Health(Response):
    status: str


class Readiness(Response):
    status: str
    database: bool
    writable: bool
