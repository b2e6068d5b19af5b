"""Every request, once: its id (the client's X-Request-ID, or a new one, sent back either way), one
JSON log line, and the request metrics.

The middleware wraps everything else, the body limit included, so a 413 or a 408 is logged and
counted like any answer. A request is named by its route template (`/memories/{memory_id}`), never
by its path: logs and metrics hold no memory id or bank name.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import CLIENT_GONE, every_route
from .metrics import Metrics

log = logging.getLogger("memnn.access")
REQUEST_ID_HEADER = "X-Request-ID"
# a client's id is kept when it is 1 to 200 visible ASCII characters; anything else gets a new one
CLIENT_REQUEST_ID = re.compile(r"[\x21-\x7e]{1,200}")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # the route of a path no route serves


class RequestLog:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        arrived = dict(scope)  # routing rewrites the scope (a mount's root path): routes match this copy
        request_id = _client_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id  # ``request.state.request_id`` for handlers
        status: int | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            status = status or 500  # the server's error handler answers it, outside this middleware
            raise
        finally:
            seconds = time.perf_counter() - started
            answered = status or CLIENT_GONE
            route = route_template(scope, arrived)
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            self.metrics.observe(method, route, answered, seconds)
            if log.isEnabledFor(logging.INFO):
                log.info(access_line(scope["method"], route, answered, seconds, request_id))


def access_line(method: str, route: str, status: int, seconds: float, request_id: str) -> str:
    """One request as one JSON object on one line."""
    fields: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 3),
        "request_id": request_id,
    }
    return json.dumps(fields, separators=(",", ":"))


def route_template(scope: Scope, arrived: Scope) -> str:
    """The template of the route that served (or would have served) the request: the one routing chose,
    or, for a request answered before routing (the body limit) or by a mount, the first that matches
    the request as it ``arrived``."""
    route = scope.get("route")
    if route is None and "app" in scope:
        routes = every_route(scope["app"].router.routes)
        route = next((r for r in routes if r.matches(arrived)[0] is not Match.NONE), None)
    if route is None:
        return UNMATCHED
    if isinstance(route, Mount):
        return f"{route.path}/{{path}}"
    return str(route.path)


def _client_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if CLIENT_REQUEST_ID.fullmatch(text) else None
    return None
