"""Every error is JSON `{"detail": ..., "errors": [{"field", "message"}]}`: 4xx for the request's
problems, 503 with Retry-After when the database fails, 500 JSON for anything else."""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterator, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match

from ..store.bank_matrix import EmptyBank
from ..store.idempotency import KeyOutlived, KeyReused
from ..store.repository import BankFull, BankNotFound, MemoryNotFound
from ..store.transfer import BankNotEmpty, PositionRepeated
from .body_limit import BodyStalled
from .schemas import ErrorResponse

log = logging.getLogger("memnn")
RETRY_AFTER_SECONDS = 2  # what a 503 asks a client to wait before it tries again
CLIENT_GONE = 499  # the status of a request whose client left before it was answered


class InputError(Exception):
    """A request the schema accepted but a limit or rule rejects."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message, self.status = field, message, status


class ErrorJSON(JSONResponse):
    """JSON that renders whatever a message echoes: a lone surrogate from the request (which UTF-8
    cannot encode) goes out as its JSON escape, as the client sent it."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "backslashreplace")


def error_body(detail: str, errors: list[dict[str, str]] | None = None) -> dict[str, object]:
    return {"detail": detail, "errors": errors or []}


def error_response(
    status: int, detail: str, field: str | None = None, headers: dict[str, str] | None = None
) -> ErrorJSON:
    errors = [{"field": field, "message": detail}] if field else []
    return ErrorJSON(error_body(naming(field, detail), errors), status_code=status, headers=headers)


def naming(field: str | None, message: str) -> str:
    """An error's ``detail``: the message, after the field it concerns."""
    return f"{field}: {message}" if field else message


NOT_FOUND = (BankNotFound, MemoryNotFound)
CONFLICTS = (EmptyBank, BankNotEmpty, BankFull, KeyReused, KeyOutlived)
DATABASE_FAILED = (
    "the database could not complete this request (unreachable, locked, full or read-only): "
    f"try again in {RETRY_AFTER_SECONDS} s (a write sent with an Idempotency-Key is safe to repeat)"
)
INTERNAL_ERROR = "internal error: the server logged it"


def refusal(error: Exception) -> tuple[int, str, str | None] | None:
    """How the API refuses a request that raised ``error``: its status, message and the field it names;
    None when ``error`` is not a refusal (a database failure, a bug). The REST routes and the MCP tools
    (``app.mcp``) both answer with it."""
    if isinstance(error, InputError):
        return error.status, error.message, error.field
    if isinstance(error, PositionRepeated):
        return 422, str(error), error.field
    if isinstance(error, BodyStalled):
        return 408, str(error), "body"
    if isinstance(error, NOT_FOUND):
        return 404, str(error), None
    if isinstance(error, CONFLICTS):
        return 409, str(error), None
    if isinstance(error, HTTPException):
        return error.status_code, str(error.detail), None
    return None


def invalid_fields(errors: Sequence[Any]) -> tuple[str, list[dict[str, str]]]:
    """A pydantic validation's errors as the API's ``detail`` and its field errors."""
    described = [_described(e) for e in errors]
    return "; ".join(naming(e["field"], e["message"]) for e in described), described


def field_name(location: tuple[int | str, ...]) -> str:
    """('body', 'statements', 2) -> 'statements[2]'."""
    parts = [p for p in location if p not in ("body", "query", "path", "header")]
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "body"


def _described(error: Any) -> dict[str, str]:
    if error.get("type") == "json_invalid":  # loc is ("body", character offset)
        reason = (error.get("ctx") or {}).get("error", "not valid JSON")
        return {"field": "body", "message": f"invalid JSON at character {error['loc'][-1]}: {reason}"}
    return {"field": field_name(tuple(error["loc"])), "message": error["msg"]}


def _unparsable_body(cause: BaseException) -> str:
    """Why a body that FastAPI could not parse was refused (it answers a bare 400)."""
    if isinstance(cause, UnicodeDecodeError):
        return f"not UTF-8 text (byte {cause.start}): send JSON encoded as UTF-8"
    if isinstance(cause, RecursionError):
        return "JSON nested too deeply"
    return f"not valid JSON: {cause}"


def _methods_of_path(request: Request) -> list[str]:
    """Every method some route serves at the request's path."""
    methods: set[str] = set()
    for route in every_route(request.app.router.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


def every_route(routes: list[Any]) -> Iterator[Any]:
    """The routes, with those of included routers (FastAPI wraps them; none has a prefix here) in place."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        yield from every_route(inner.routes) if inner is not None else [route]


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> ErrorJSON:
        detail, errors = invalid_fields(error.errors())
        return ErrorJSON(error_body(detail, errors), status_code=422)

    async def refused(_: Request, error: Exception) -> ErrorJSON:
        answer = refusal(error)
        assert answer is not None, error
        status, message, field = answer
        return error_response(status, message, field)

    for refused_kind in (InputError, PositionRepeated, BodyStalled, *NOT_FOUND, *CONFLICTS):
        app.add_exception_handler(refused_kind, refused)

    @app.exception_handler(ClientDisconnect)
    async def gone(_: Request, error: ClientDisconnect) -> ErrorJSON:
        # a streamed body (an import) whose client left: nothing was stored, and nobody reads this
        return error_response(CLIENT_GONE, "the client closed the connection before its body was complete")

    @app.exception_handler(HTTPException)
    async def http(request: Request, error: HTTPException) -> ErrorJSON:
        if error.status_code == 400 and error.__cause__ is not None:  # FastAPI could not parse the body
            return error_response(422, _unparsable_body(error.__cause__), "body")
        headers = error.headers
        if error.status_code == 405:  # Starlette names only the methods of the first route of the path
            headers = {"Allow": ", ".join(_methods_of_path(request))}
        return ErrorJSON(error_body(str(error.detail)), status_code=error.status_code, headers=headers)

    @app.exception_handler(SQLAlchemyError)
    async def database_failed(request: Request, error: SQLAlchemyError) -> ErrorJSON:
        log.error("database error on %s %s: %s", request.method, request.url.path, str(error))
        # the failed statement's frames hold its connection: cleared, it closes now, and a read-only one
        # no longer keeps a recovered SQLite file read-only (``store.database._reopen_when_read_only``)
        traceback.clear_frames(error.__traceback__)
        return error_response(503, DATABASE_FAILED, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

    @app.exception_handler(Exception)
    async def failed(request: Request, error: Exception) -> ErrorJSON:
        # answered outside the request middleware (Starlette's last resort), so the request id is added here
        request_id = getattr(request.state, "request_id", None)
        log.exception(
            "unhandled error on %s %s (request %s)", request.method, request.url.path, request_id, exc_info=error
        )
        headers = {"X-Request-ID": request_id} if request_id else None
        return error_response(500, INTERNAL_ERROR, headers=headers)


ERROR_DESCRIPTIONS = {
    401: "No API key, or an unknown or revoked one.",
    403: "The API key may not read (or write) this bank.",
    404: "Unknown bank or memory.",
    408: "The request's body stopped arriving before it was complete (MEMNN_BODY_TIMEOUT_SECONDS).",
    409: "Conflict: the bank has no memories to answer from (or none match the filters), a bank to import into "
    "is not empty, or an Idempotency-Key was reused with another body (or its memories were deleted since).",
    413: "Request body over MEMNN_MAX_BODY_BYTES; for an import, a line over MEMNN_MAX_IMPORT_LINE_BYTES or more "
    "lines than MEMNN_MAX_IMPORT_STATEMENTS.",
    422: "Invalid field: the message names it and the limit.",
    503: "The database failed (unreachable, locked, full or read-only): retry after the Retry-After header's "
    "seconds (with an Idempotency-Key, a write is safe to repeat).",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI error responses for a route; every route may also answer 503."""
    return {code: {"description": ERROR_DESCRIPTIONS[code], "model": ErrorResponse} for code in (*codes, 503)}
