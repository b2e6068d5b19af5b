"""What a failed call raises: one class per status the service documents, each carrying the service's
message (``detail``), the fields it names (``errors``) and the request's id (``request_id``, from
X-Request-ID: quote it when you report a 500)."""

from __future__ import annotations

import httpx
from pydantic import ValidationError

from .models import ErrorResponse, FieldError


class MemnnError(Exception):
    """Anything the client raises for a call that did not succeed."""


class ConnectionFailed(MemnnError):
    """The service could not be reached, or the connection broke, on every try; ``__cause__`` is httpx's error."""


class ApiError(MemnnError):
    """The service answered with an error status."""

    def __init__(self, status: int, detail: str, errors: list[FieldError], request_id: str | None) -> None:
        super().__init__(f"{status}: {detail}")
        self.status, self.detail, self.errors, self.request_id = status, detail, errors, request_id

    @property
    def fields(self) -> list[str]:
        """The fields the service named, e.g. ``["statements[2]"]``."""
        return [error.field for error in self.errors]


class Unauthorized(ApiError):
    """401: no API key, or an unknown or revoked one."""


class Forbidden(ApiError):
    """403: the key may not read (or write) that bank."""


class NotFound(ApiError):
    """404: no such bank or memory (or one of a bank the key cannot read)."""


class RequestTimeout(ApiError):
    """408: the request's body stopped arriving."""


class Conflict(ApiError):
    """409: an empty bank or a filter that matches nothing, an import into a bank that is not empty,
    an Idempotency-Key reused with another body or whose memories were deleted since."""


class PayloadTooLarge(ApiError):
    """413: a body over the service's MEMNN_MAX_BODY_BYTES."""


class InvalidRequest(ApiError):
    """422: an invalid field; ``errors`` names each one and its limit."""


class ServerError(ApiError):
    """500 (a bug the server logged) or another 5xx."""


class Unavailable(ServerError):
    """503: the database failed; raised once every retry got it too. ``retry_after`` is in seconds."""

    def __init__(
        self, status: int, detail: str, errors: list[FieldError], request_id: str | None, retry_after: float | None
    ) -> None:
        super().__init__(status, detail, errors, request_id)
        self.retry_after = retry_after


BY_STATUS: dict[int, type[ApiError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    408: RequestTimeout,
    409: Conflict,
    413: PayloadTooLarge,
    422: InvalidRequest,
}


def error_of(response: httpx.Response) -> ApiError:
    """The exception for an error response: the service's JSON error body, or its text when a proxy
    on the way answered instead."""
    try:
        body = ErrorResponse.model_validate_json(response.content)
        detail, errors = body.detail, body.errors
    except ValidationError:
        detail, errors = response.text[:500] or response.reason_phrase, []
    request_id = response.headers.get("x-request-id")
    status = response.status_code
    if status == 503:
        return Unavailable(status, detail, errors, request_id, retry_after(response))
    kind = BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
    return kind(status, detail, errors, request_id)


def retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds, when the service sent it as a number (as memnn does)."""
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
