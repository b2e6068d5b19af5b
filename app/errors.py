"""Every error is JSON `{"detail": ..., "errors": [{"field", "message"}]}` with a 4xx status."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from .schemas import ErrorResponse
from .service import EmptyBank
from .store.idempotency import KeyReused
from .store.repository import BankNotFound, MemoryNotFound
from .store.transfer import BankNotEmpty


class InputError(Exception):
    """A request the schema accepted but a limit or rule rejects."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message, self.status = field, message, status


def error_body(detail: str, errors: list[dict[str, str]] | None = None) -> dict[str, object]:
    return {"detail": detail, "errors": errors or []}


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


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [_described(e) for e in error.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return JSONResponse(error_body(detail, errors), status_code=422)

    @app.exception_handler(InputError)
    async def rejected(_: Request, error: InputError) -> JSONResponse:
        body = error_body(str(error), [{"field": error.field, "message": error.message}])
        return JSONResponse(body, status_code=error.status)

    @app.exception_handler(BankNotFound)
    @app.exception_handler(MemoryNotFound)
    async def not_found(_: Request, error: LookupError) -> JSONResponse:
        return JSONResponse(error_body(str(error)), status_code=404)

    @app.exception_handler(EmptyBank)
    @app.exception_handler(BankNotEmpty)
    @app.exception_handler(KeyReused)
    async def conflict(_: Request, error: Exception) -> JSONResponse:
        return JSONResponse(error_body(str(error)), status_code=409)

    @app.exception_handler(HTTPException)
    async def http(_: Request, error: HTTPException) -> JSONResponse:
        return JSONResponse(error_body(str(error.detail)), status_code=error.status_code, headers=error.headers)


ERROR_DESCRIPTIONS = {
    401: "No API key, or an unknown or revoked one.",
    403: "The API key may not read (or write) this bank.",
    404: "Unknown bank or memory.",
    409: "Conflict: the bank has no memories to answer from (or none match the filters), a bank to import into "
    "is not empty, or an Idempotency-Key was reused with another body.",
    413: "Request body over MEMNN_MAX_BODY_BYTES.",
    422: "Invalid field: the message names it and the limit.",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI error responses for a route."""
    return {code: {"description": ERROR_DESCRIPTIONS[code], "model": ErrorResponse} for code in codes}
