"""ASGI middleware: a body over the limit gets 413 before the app reads any of it, a body that stops
arriving gets 408 and a closed connection instead of holding a worker's connection forever, and a JSON
body that is not UTF-8 gets 422.

A streamed route (an import: its own limits, checked a line at a time) gets its body as it arrives,
unbounded here but under the same timeout: a stall raises ``BodyStalled`` in the route, answered
408 and a closed connection. Any other answer it gives before the body has all come (a bad line)
leaves the connection open: the server reads and drops the rest, so that a client that sends its
whole body before it reads sees the answer, not a reset connection."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyStalled(Exception):
    """A streamed body stopped arriving (``BodyLimit``): the route answers 408."""


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, idle_seconds: float, streamed: re.Pattern[str]) -> None:
        """``streamed``: the paths whose POST bodies reach the app as they arrive, not bounded by ``max_bytes``."""
        self.app, self.max_bytes, self.idle_seconds, self.streamed = app, max_bytes, idle_seconds, streamed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "POST" and self.streamed.fullmatch(scope["path"]):
            await self._stream(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            try:
                message = await asyncio.wait_for(receive(), self.idle_seconds)
            except TimeoutError:
                await self._stalled(send, size)
                return
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body and _is_json(scope) and (problem := _not_plain_utf8(body)):
            await _refuse(send, 422, problem)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _stream(self, scope: Scope, receive: Receive, send: Send) -> None:
        received, complete, stalled = 0, False, False

        async def arriving() -> Message:
            nonlocal received, complete, stalled
            if complete:  # after the body: what the app waits for now is the client leaving
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.idle_seconds)
            except TimeoutError:
                stalled = True
                raise BodyStalled(self._stalled_detail(received)) from None
            received += len(message.get("body", b""))
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start" and stalled:
                MutableHeaders(scope=message)["connection"] = "close"
            await send(message)

        await self.app(scope, arriving, closing)

    async def _too_large(self, send: Send) -> None:
        detail = f"request body over {self.max_bytes} bytes: send less per request or raise MEMNN_MAX_BODY_BYTES"
        await _refuse(send, 413, detail)

    async def _stalled(self, send: Send, received: int) -> None:
        await _refuse(send, 408, self._stalled_detail(received))

    def _stalled_detail(self, received: int) -> str:
        return (
            f"the request body stopped arriving after {received} bytes: nothing came for {self.idle_seconds:g} s "
            "(MEMNN_BODY_TIMEOUT_SECONDS); send the whole body, with a true Content-Length"
        )


async def _refuse(send: Send, status: int, detail: str) -> None:
    """Answer and close: the rest of the body, if any comes, is never read."""
    payload: dict[str, Any] = {"detail": detail, "errors": [{"field": "body", "message": detail}]}
    body = json.dumps(payload).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _is_json(scope: Scope) -> bool:
    kind = dict(scope.get("headers") or []).get(b"content-type", b"").split(b";")[0].strip().lower()
    return kind == b"application/json" or kind.endswith(b"+json")


def _not_plain_utf8(body: bytes) -> str | None:
    """Why a JSON body is refused, if it is: json.loads would read UTF-16 and UTF-32 too, and JSON
    text sent over a network must be UTF-8 with no byte-order mark (RFC 8259, 8.1)."""
    if body.startswith(b"\xef\xbb\xbf"):
        return "the body starts with a byte-order mark: send JSON encoded as UTF-8, without one"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "the body is not UTF-8 text: send JSON encoded as UTF-8"
    return None
