"""Request rules that depend on settings: sizes, counts, and text the databases cannot hold."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any, overload

from .errors import InputError
from .memnn.text import split_sentences, tokenize
from .schemas import ExportLine, FilterIn, MemoriesIn
from .settings import Settings
from .store.filters import FILTER_KEY, MemoryFilter

NUL = "\x00"


def statements_of(body: MemoriesIn, settings: Settings) -> list[str]:
    """The statements to store, checked one by one; the first problem is a 422 naming it."""
    if body.statements is not None:
        statements, field = body.statements, "statements"
    else:
        assert body.text is not None
        _check_text("text", body.text, settings.max_body_bytes, "MEMNN_MAX_BODY_BYTES")
        statements, field = split_sentences(body.text), "text"
    if not statements:
        raise InputError(field, "no statement to store: send at least one non-empty sentence")
    if len(statements) > settings.max_statements_per_request:
        raise InputError(
            field,
            f"{len(statements)} statements, over the limit of {settings.max_statements_per_request} "
            "per request (MEMNN_MAX_STATEMENTS_PER_REQUEST): split them over several requests",
        )
    for index, statement in enumerate(statements):
        check_statement(
            f"statements[{index}]" if field == "statements" else f"text (sentence {index + 1})", statement, settings
        )
    if body.metadata is not None:
        check_metadata(body.metadata, settings)
    return statements


def check_statement(field: str, statement: str, settings: Settings) -> None:
    _check_text(field, statement, settings.max_statement_chars, "MEMNN_MAX_STATEMENT_CHARS")
    if not tokenize(statement):
        raise InputError(field, "contains no words: a statement needs at least one letter or digit")


def check_question(question: str, settings: Settings) -> None:
    _check_text("question", question, settings.max_question_chars, "MEMNN_MAX_QUESTION_CHARS")
    if not tokenize(question):
        raise InputError("question", "contains no words: ask with at least one letter or digit")


def check_metadata(metadata: dict[str, Any], settings: Settings) -> None:
    encoded = json.dumps(metadata, ensure_ascii=False)
    if len(encoded.encode()) > settings.max_metadata_bytes:
        raise InputError(
            "metadata",
            f"{len(encoded.encode())} bytes as JSON, over the limit of {settings.max_metadata_bytes} "
            "(MEMNN_MAX_METADATA_BYTES)",
        )
    if NUL in encoded or "\\u0000" in encoded:
        raise InputError("metadata", "contains a NUL character (\\u0000), which PostgreSQL cannot store")


def check_limit(limit: int, settings: Settings) -> None:
    if limit > settings.max_list_limit:
        raise InputError(
            "limit", f"{limit} is over the maximum of {settings.max_list_limit} (MEMNN_MAX_LIST_LIMIT): use the cursor"
        )


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": position}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        position = value["after"]
        if isinstance(position, int) and not isinstance(position, bool) and position >= 0:
            return position
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        pass
    raise InputError("cursor", "not a cursor this service issued: pass `next_cursor` from the previous page")


def _check_text(field: str, text: str, max_chars: int, setting: str) -> None:
    if NUL in text:
        raise InputError(field, "contains a NUL character (\\u0000), which PostgreSQL text cannot store: remove it")
    if not text.strip():
        raise InputError(field, "is empty")
    if len(text) > max_chars:
        raise InputError(field, f"{len(text)} characters, over the limit of {max_chars} ({setting})")


def memory_filter(
    metadata: dict[str, Any] | str | None, created_after: datetime | None, created_before: datetime | None
) -> MemoryFilter:
    """A filter from a request; ``metadata`` may be a JSON object's text (query string) or the object."""
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            raise InputError("metadata", 'not JSON: pass an object such as {"source": "chat"}') from None
    wanted: dict[str, str] = {}
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise InputError("metadata", 'must be a JSON object such as {"source": "chat"}')
        for key, value in metadata.items():
            if not FILTER_KEY.match(key):
                raise InputError(f"metadata.{key}", "filter keys are 1 to 64 letters, digits, '_' or '-'")
            if not isinstance(value, str):
                raise InputError(f"metadata.{key}", "filters match string values: give a string")
            wanted[key] = value
    return MemoryFilter(wanted, utc_time(created_after), utc_time(created_before))


def filter_of(body: FilterIn | None) -> MemoryFilter:
    if body is None:
        return MemoryFilter()
    return memory_filter(body.metadata, body.created_after, body.created_before)


@overload
def utc_time(moment: datetime) -> datetime: ...
@overload
def utc_time(moment: None) -> None: ...
def utc_time(moment: datetime | None) -> datetime | None:
    """Times without a zone are UTC, as everything stored is."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def export_lines_of(body: bytes, settings: Settings) -> list[ExportLine]:
    """Parse and check an import body (JSON Lines); the first problem is a 422 naming its line."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("body", "not UTF-8 text: send the JSON Lines that GET /banks/{bank}/export gave") from None
    lines: list[ExportLine] = []
    positions: set[int] = set()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            parsed = ExportLine.model_validate_json(line)
        except ValueError as error:
            raise InputError(f"line {number}", _first_error(error)) from None
        check_statement(f"line {number}: text", parsed.text, settings)
        if parsed.metadata is not None:
            check_metadata(parsed.metadata, settings)
        if parsed.position in positions:
            raise InputError(f"line {number}: position", f"position {parsed.position} appears twice")
        if [v.version for v in parsed.history] != list(range(1, parsed.version)):
            raise InputError(f"line {number}: history", f"must hold versions 1 to {parsed.version - 1}, in order")
        positions.add(parsed.position)
        lines.append(parsed)
    if not lines:
        raise InputError("body", "no memory to import: one JSON object per line")
    return lines


def _first_error(error: ValueError) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    return str(error)
