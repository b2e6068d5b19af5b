"""Every endpoint's request, built once for both clients, and the rule for trying a request again.

A request is tried again (``RetryPolicy``) when it cannot have done anything, or when doing it twice
is the same as doing it once:
- after a 503: the service stored nothing (every error answers so), whatever the method;
- after a connection that never opened (refused, timed out connecting): nothing was sent;
- after a connection that broke mid-request: only for a ``replayable`` request, one that changes
  nothing (reads, `POST /ask`) or that carries an Idempotency-Key (`POST /memories`: the client
  sends one with every write, the caller's or a new one, and the same one with every retry, so the
  service answers a retry with the first response and stores nothing twice).
"""

from __future__ import annotations

import enum
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from .errors import error_of, retry_after
from .models import (
    AskOut,
    BankDeleted,
    BankOut,
    BanksOut,
    DeletedCount,
    ExportLine,
    Health,
    HistoryOut,
    ImportResult,
    MemoriesCreated,
    MemoryOut,
    MemoryPage,
    ModelInfo,
    Readiness,
)

T = TypeVar("T")
Model = TypeVar("Model", bound=BaseModel)
Time = datetime | str  # a datetime, or ISO-8601 text; without a zone the service reads UTC
JSON_LINES = "application/x-ndjson"


class Unchanged(enum.Enum):
    """``correct_memory(metadata=UNCHANGED)``: leave the metadata as it is (``None`` removes it)."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request to the service and how to read its answer."""

    method: str
    path: str
    read: Callable[[httpx.Response], T]
    params: dict[str, str | int] | None = None
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    replayable: bool = False  # sending it twice does what sending it once does
    answers: frozenset[int] = frozenset({200, 201})  # statuses read as answers, not raised


def answer(call: Call[T], response: httpx.Response) -> T:
    if response.status_code not in call.answers:
        raise error_of(response)
    return call.read(response)


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 2  # tries after the first
    backoff_seconds: float = 0.5  # the wait before the first retry, doubled for each next one
    max_wait_seconds: float = 30.0  # the longest wait, even when the service's Retry-After asks for more

    def after_error(self, call: Call[Any], error: httpx.TransportError, tries: int) -> float | None:
        """Seconds to wait before trying again after a connection error, or None to give up."""
        never_sent = isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
        if tries > self.retries or not (never_sent or call.replayable):
            return None
        return self._backoff(tries)

    def after_response(self, call: Call[Any], response: httpx.Response, tries: int) -> float | None:
        """Seconds to wait before trying again after this response, or None to take it."""
        if response.status_code != 503 or response.status_code in call.answers or tries > self.retries:
            return None
        asked = retry_after(response)
        return min(self.max_wait_seconds, asked) if asked is not None else self._backoff(tries)

    def _backoff(self, tries: int) -> float:
        return min(self.max_wait_seconds, self.backoff_seconds * 2 ** (tries - 1))


def headers_for(api_key: str | None) -> dict[str, str]:
    headers = {"User-Agent": "memnn-client/0.1.0"}
    return headers | {"Authorization": f"Bearer {api_key}"} if api_key else headers


def _model(kind: type[Model]) -> Callable[[httpx.Response], Model]:
    return lambda response: kind.model_validate_json(response.content)


def _segment(value: str | int) -> str:
    """A path segment, escaped: a name never changes which route a request reaches."""
    return quote(str(value), safe="")


def _time(moment: Time | None) -> str | None:
    return moment.isoformat() if isinstance(moment, datetime) else moment


def _filter_params(metadata: Mapping[str, str] | None, after: Time | None, before: Time | None) -> dict[str, str]:
    params = {"metadata": json.dumps(dict(metadata)) if metadata is not None else None}
    params |= {"created_after": _time(after), "created_before": _time(before)}
    return {name: value for name, value in params.items() if value is not None}


def add_memories(
    bank: str,
    statements: list[str] | None,
    text: str | None,
    metadata: Mapping[str, Any] | None,
    idempotency_key: str | None,
) -> Call[MemoriesCreated]:
    body: dict[str, Any] = {"bank": bank}
    if statements is not None:
        body["statements"] = list(statements)
    if text is not None:
        body["text"] = text
    if metadata is not None:
        body["metadata"] = dict(metadata)
    headers = {"Idempotency-Key": idempotency_key or uuid.uuid4().hex}  # the same on every try of this call
    return Call("POST", "/memories", _model(MemoriesCreated), json=body, headers=headers, replayable=True)


def list_memories(
    bank: str,
    limit: int,
    cursor: str | None,
    metadata: Mapping[str, str] | None,
    created_after: Time | None,
    created_before: Time | None,
) -> Call[MemoryPage]:
    params: dict[str, str | int] = {"bank": bank, "limit": limit}
    params |= {"cursor": cursor} if cursor is not None else {}
    params |= _filter_params(metadata, created_after, created_before)
    return Call("GET", "/memories", _model(MemoryPage), params=params, replayable=True)


def get_memory(memory_id: int) -> Call[MemoryOut]:
    return Call("GET", f"/memories/{_segment(memory_id)}", _model(MemoryOut), replayable=True)


def correct_memory(memory_id: int, text: str | None, metadata: Mapping[str, Any] | None | Unchanged) -> Call[MemoryOut]:
    body: dict[str, Any] = {}
    if text is not None:
        body["text"] = text
    if metadata is not UNCHANGED:
        body["metadata"] = dict(metadata) if metadata is not None else None
    return Call("PATCH", f"/memories/{_segment(memory_id)}", _model(MemoryOut), json=body)


def forget_memory(memory_id: int) -> Call[MemoryOut]:
    return Call("DELETE", f"/memories/{_segment(memory_id)}", _model(MemoryOut))


def memory_history(memory_id: int) -> Call[HistoryOut]:
    return Call("GET", f"/memories/{_segment(memory_id)}/history", _model(HistoryOut), replayable=True)


def delete_memories(
    bank: str, metadata: Mapping[str, str] | None, created_after: Time | None, created_before: Time | None
) -> Call[DeletedCount]:
    params: dict[str, str | int] = {"bank": bank, **_filter_params(metadata, created_after, created_before)}
    return Call("DELETE", "/memories", _model(DeletedCount), params=params)


def ask(
    bank: str,
    question: str,
    k: int | None,
    explain: bool,
    metadata: Mapping[str, str] | None,
    created_after: Time | None,
    created_before: Time | None,
) -> Call[AskOut]:
    body: dict[str, Any] = {"bank": bank, "question": question, "explain": explain}
    if k is not None:
        body["k"] = k
    where: dict[str, Any] = _filter_params(None, created_after, created_before)
    if metadata is not None:
        where["metadata"] = dict(metadata)  # an object here, not the query string's JSON text
    if where:
        body["filter"] = where
    return Call("POST", "/ask", _model(AskOut), json=body, replayable=True)


def banks() -> Call[list[BankOut]]:
    return Call("GET", "/banks", lambda response: BanksOut.model_validate_json(response.content).banks, replayable=True)


def delete_bank(bank: str) -> Call[BankDeleted]:
    return Call("DELETE", f"/banks/{_segment(bank)}", _model(BankDeleted))


def export_bank(bank: str) -> Call[None]:
    """Streamed: the clients read its lines as they arrive (``export_line``)."""
    return Call("GET", f"/banks/{_segment(bank)}/export", lambda _: None, replayable=True)


def export_line(line: str) -> ExportLine:
    return ExportLine.model_validate_json(line)


def import_bank(bank: str, lines: Iterable[ExportLine | Mapping[str, Any]]) -> Call[ImportResult]:
    text = "".join(_import_line(line) + "\n" for line in lines)
    return Call(
        "POST",
        f"/banks/{_segment(bank)}/import",
        _model(ImportResult),
        content=text.encode(),
        headers={"Content-Type": JSON_LINES},
    )


def _import_line(line: ExportLine | Mapping[str, Any]) -> str:
    if isinstance(line, ExportLine):
        return line.model_dump_json()
    return json.dumps(dict(line), ensure_ascii=False, default=str)


def model() -> Call[ModelInfo]:
    return Call("GET", "/model", _model(ModelInfo), replayable=True)


def health() -> Call[Health]:
    return Call("GET", "/healthz", _model(Health), replayable=True)


def ready() -> Call[Readiness]:
    """A 503 here is an answer ("not ready"), not an error: it is read, and never retried."""
    return Call("GET", "/readyz", _model(Readiness), replayable=True, answers=frozenset({200, 503}))


def metrics() -> Call[str]:
    return Call("GET", "/metrics", lambda response: response.text, replayable=True)
