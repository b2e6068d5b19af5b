"""Every text, JSON value, number and time that enters the service is checked here, the same way
for live requests and for imported lines (``json_lines``): a problem is a 422 naming the field and the limit.

Pydantic checks shapes and types; these rules need the settings, or go where no type reaches:
characters the databases cannot store (NUL) or that are not characters at all (lone UTF-16
surrogates, which JSON's \\uD800 escapes can smuggle in), numbers JSON has no word for (NaN,
Infinity), nesting, and times that leave the calendar once converted to UTC.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from ..memnn.text import split_sentences
from ..settings import Settings
from ..store.filters import FILTER_KEY, MemoryFilter
from .errors import InputError
from .schemas import FilterIn, MemoriesIn

NUL = "\x00"
_SURROGATE = re.compile("[\ud800-\udfff]")
# A character that is not white space, a control character or ASCII punctuation (a letter or digit of
# any script, a symbol, an emoji): a statement or question needs one. Written with explicit code
# points, not \w or \s, so that the OpenAPI document's pattern means the same in every regex dialect.
SPACE_OR_CONTROL = "\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
CONTENT_CHARACTER = f"[^{SPACE_OR_CONTROL}!-/:-@\\[-`{{-~]"
CONTENT = re.compile(CONTENT_CHARACTER)
MAX_JSON_DEPTH = 32  # nesting of a metadata object
INT64 = 2**63


def check_characters(field: str, text: str) -> None:
    """Text every database stores and every client reads back: no NUL, no lone surrogate."""
    if NUL in text:
        raise InputError(field, "contains a NUL character (\\u0000), which PostgreSQL text cannot store: remove it")
    if _SURROGATE.search(text):
        raise InputError(
            field, "contains a lone UTF-16 surrogate (\\ud800 to \\udfff), which is not a character: send valid Unicode"
        )


def check_text(field: str, text: str, max_chars: int, setting: str) -> None:
    check_characters(field, text)
    if not CONTENT.search(text):
        raise InputError(field, "holds nothing but white space and punctuation: say something")
    if len(text) > max_chars:
        raise InputError(field, f"{len(text)} characters, over the limit of {max_chars} ({setting})")


def statements_of(body: MemoriesIn, settings: Settings) -> list[str]:
    """The statements to store, checked one by one; the first problem is a 422 naming it."""
    if body.statements is not None:
        statements, field = body.statements, "statements"
    else:
        assert body.text is not None
        check_text("text", body.text, settings.max_text_chars, "MEMNN_MAX_TEXT_CHARS")
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
        check_metadata("metadata", body.metadata, settings)
    return statements


def check_statement(field: str, statement: str, settings: Settings) -> None:
    check_text(field, statement, settings.max_statement_chars, "MEMNN_MAX_STATEMENT_CHARS")


def check_question(question: str, settings: Settings) -> None:
    check_text("question", question, settings.max_question_chars, "MEMNN_MAX_QUESTION_CHARS")


def check_metadata(field: str, metadata: dict[str, Any], settings: Settings) -> None:
    check_json_value(field, metadata)
    size = len(json.dumps(metadata, ensure_ascii=False).encode())
    if size > settings.max_metadata_bytes:
        raise InputError(
            field, f"{size} bytes as JSON, over the limit of {settings.max_metadata_bytes} (MEMNN_MAX_METADATA_BYTES)"
        )


def check_json_value(field: str, value: Any, depth: int = 0) -> None:
    """A value both databases store as JSON and hand back unchanged."""
    if depth > MAX_JSON_DEPTH:
        raise InputError(field, f"nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, str):
        check_characters(field, value)
    elif isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, int):
        if not -INT64 <= value < INT64:
            raise InputError(field, "an integer outside the 64-bit range: send it as a string")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(field, "NaN and Infinity are not JSON numbers: send a finite number or a string")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_characters(f"{field} (a key)", key)
            check_json_value(f"{field}.{key}", item, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_json_value(f"{field}[{index}]", item, depth + 1)
    else:
        raise InputError(field, "not a JSON value")


def check_limit(limit: int, settings: Settings) -> None:
    if limit > settings.max_list_limit:
        raise InputError(
            "limit", f"{limit} is over the maximum of {settings.max_list_limit} (MEMNN_MAX_LIST_LIMIT): use the cursor"
        )


def encode_cursor(position: int) -> str:
    """The next page starts after this position (the cursor is the last row's position, in decimal)."""
    return str(position)


CURSOR = re.compile(r"[0-9]{1,16}")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not CURSOR.fullmatch(cursor):
        raise InputError("cursor", "not a cursor this service issued: pass `next_cursor` from the previous page")
    return int(cursor)


def memory_filter(
    metadata: dict[str, Any] | str | None, created_after: Any, created_before: Any, prefix: str = ""
) -> MemoryFilter:
    """A filter from a request: ``metadata`` a JSON object's text (query string) or the object, the
    times ISO-8601 text (query string) or datetimes (a JSON body, already parsed). ``prefix`` is
    where the filter sits in the request ("filter." in POST /ask)."""
    field = f"{prefix}metadata"
    wanted: dict[str, str] = {}
    if metadata is not None:
        if isinstance(metadata, str):
            try:
                metadata = json.loads(metadata)
            except (ValueError, RecursionError):
                raise InputError(field, 'not JSON: pass an object such as {"source": "chat"}') from None
        if not isinstance(metadata, dict) or not metadata:
            raise InputError(
                field,
                'must be a JSON object with at least one key, such as {"source": "chat"}; '
                f"leave `{field}` out to match every memory",
            )
        for key, value in metadata.items():
            if not FILTER_KEY.match(key):
                check_characters(f"{field} (a key)", key)
                raise InputError(f"{field}.{key}", "filter keys are 1 to 64 letters, digits, '_' or '-'")
            if not isinstance(value, str):
                raise InputError(f"{field}.{key}", "filters match string values: give a string")
            check_characters(f"{field}.{key}", value)
            wanted[key] = value
    after = time_of(f"{prefix}created_after", created_after)
    return MemoryFilter(wanted, after, time_of(f"{prefix}created_before", created_before))


def filter_of(body: FilterIn | None) -> MemoryFilter:
    if body is None:
        return MemoryFilter()
    return memory_filter(body.metadata, body.created_after, body.created_before, prefix="filter.")


def time_of(field: str, moment: datetime | str | None) -> datetime | None:
    """A UTC time from ISO-8601 text or a datetime; without a zone it is UTC, as everything stored is."""
    if moment is None:
        return None
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            raise InputError(field, "not an ISO-8601 time such as 2026-11-25T10:00:00Z") from None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        raise InputError(field, "outside 0001-01-01 to 9999-12-31 once converted to UTC") from None


def utc_time(field: str, moment: datetime) -> datetime:
    converted = time_of(field, moment)
    assert converted is not None
    return converted
