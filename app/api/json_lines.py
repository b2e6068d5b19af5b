"""A bank as JSON Lines, one ``ExportLine`` a line: what an export writes, and an import read as it
arrives, a line at a time, each line checked as a live write is (``validation``). The HTTP routes
and `memnn bank` read and write the same lines.

An import is never held whole: the reader keeps one unfinished line (refused as soon as it passes
MEMNN_MAX_IMPORT_LINE_BYTES) and hands the rows on in batches, for the store to write one batch
at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pydantic import ValidationError

from ..settings import Settings
from ..store.records import ImportBatch, Portable, Version
from .errors import InputError
from .schemas import ExportLine, VersionOut
from .validation import check_metadata, check_statement, utc_time

BATCH_ROWS = 1_000  # rows the store writes with one executemany
BATCH_BYTES = 4_000_000  # or fewer, when their lines are long (long histories)


def export_line(row: Portable) -> bytes:
    """One line of an export, "\\n" included."""
    return ExportLine.model_validate(row, from_attributes=True).model_dump_json().encode() + b"\n"


def import_batches(chunks: Iterable[bytes], settings: Settings) -> Iterator[ImportBatch]:
    """An import's rows, in batches as its bytes arrive; the first problem is a 4xx naming its line
    (422 for a line that is not a valid memory, 413 past an import's limits). Positions repeated
    across batches are the store's to find (``transfer.BankImport``): only it sees every row."""
    batch, batch_bytes, count = ImportBatch(), 0, 0
    for number, line in arriving_lines(chunks, settings.max_import_line_bytes):
        count += 1
        if count > settings.max_import_statements:
            raise InputError(
                f"line {number}",
                f"more than {settings.max_import_statements} memories in one import "
                "(MEMNN_MAX_IMPORT_STATEMENTS): split the file, or raise the limit",
                status=413,
            )
        batch.rows.append(portable_line(number, line, settings))
        batch.lines.append(number)
        batch_bytes += len(line)
        if len(batch.rows) == BATCH_ROWS or batch_bytes >= BATCH_BYTES:
            yield batch
            batch, batch_bytes = ImportBatch(), 0
    if batch.rows:
        yield batch
    elif not count:
        raise InputError("body", "no memory to import: one JSON object per line")


def arriving_lines(chunks: Iterable[bytes], max_line_bytes: int) -> Iterator[tuple[int, bytes]]:
    """(line number, line) as the chunks arrive, split at "\\n" only (JSON strings may hold U+2028 and
    friends raw), a "\\r" before it dropped; blank lines skipped. A line longer than ``max_line_bytes``
    is a 413 as soon as that many bytes of it have come, never held whole."""
    pending = bytearray()
    number = 0
    for chunk in chunks:
        searched = len(pending)  # no "\n" before here
        pending += chunk
        start = 0
        while (end := pending.find(b"\n", searched)) >= 0:
            number += 1
            line = bytes(pending[start:end]).removesuffix(b"\r")
            _check_length(number, len(line), max_line_bytes)
            if line.strip():
                yield number, line
            start = searched = end + 1
        del pending[:start]
        _check_length(number + 1, len(pending), max_line_bytes)
    if pending.strip():
        yield number + 1, bytes(pending).removesuffix(b"\r")


def _check_length(number: int, length: int, max_line_bytes: int) -> None:
    if length > max_line_bytes:
        raise InputError(
            f"line {number}",
            f"over {max_line_bytes} bytes (MEMNN_MAX_IMPORT_LINE_BYTES): one memory a line, as an export "
            "writes them; raise the limit for memories with long histories",
            status=413,
        )


def portable_line(number: int, line: bytes, settings: Settings) -> Portable:
    where = f"line {number}"
    try:
        parsed = ExportLine.model_validate_json(line)
    except ValidationError as error:
        raise InputError(where, _first_error(error)) from None
    check_statement(f"{where}: text", parsed.text, settings)
    if parsed.metadata is not None:
        check_metadata(f"{where}: metadata", parsed.metadata, settings)
    if len(parsed.history) != parsed.version - 1 or any(v.version != k for k, v in enumerate(parsed.history, 1)):
        raise InputError(f"{where}: history", f"must hold versions 1 to {parsed.version - 1}, in order")
    history = [_version(f"{where}: history[{k}]", v, settings) for k, v in enumerate(parsed.history)]
    updated = utc_time(f"{where}: updated_at", parsed.updated_at) if parsed.updated_at else None
    created = utc_time(f"{where}: created_at", parsed.created_at)
    return Portable(
        position=parsed.position,
        text=parsed.text,
        metadata=parsed.metadata,
        created_at=created,
        version=parsed.version,
        updated_at=updated,
        history=history,
    )


def _version(where: str, version: VersionOut, settings: Settings) -> Version:
    check_statement(f"{where}.text", version.text, settings)
    if version.metadata is not None:
        check_metadata(f"{where}.metadata", version.metadata, settings)
    return Version(
        version.version, version.text, version.metadata, utc_time(f"{where}.recorded_at", version.recorded_at)
    )


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    return f"{where}: {first['msg']}" if where else str(first["msg"])
