"""/mcp: the MCP tools over streamable HTTP, in the REST server, behind the same Bearer keys.

Every request is authenticated as a REST request is (``deps.get_principal``): without a valid key
it gets the REST 401, JSON and all, before MCP reads it. The key's principal rides in the request's
scope to the tool the request calls. The transport is stateless and answers JSON: each request
stands alone, so `memnn serve --workers N` and replicas behind a load balancer serve it as they
serve REST, and no session outlives a revoked key.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from ..api.deps import bearer, get_principal
from ..store.keys import Principal

PRINCIPAL = "memnn.principal"  # the scope key of the request's principal


class McpEndpoint:
    """The ASGI app of /mcp."""

    def __init__(self, server: Server[Any]) -> None:
        self.server = server
        self.sessions: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Serve while the app runs (inside its lifespan); a manager serves one run, so each run has its own."""
        # No DNS-rebinding check: every request carries a key, which a rebound page cannot send.
        sessions = StreamableHTTPSessionManager(self.server, json_response=True, stateless=True)
        async with sessions.run():
            self.sessions = sessions
            try:
                yield
            finally:
                self.sessions = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        # a refusal is an HTTPException, answered by the app's handler exactly as a REST route's
        scope[PRINCIPAL] = await get_principal(request, await bearer(request))
        if self.sessions is None:
            raise RuntimeError("/mcp is served only while the app runs (its lifespan)")
        await self.sessions.handle_request(scope, receive, send)


async def request_principal(ctx: ServerRequestContext[Any, Any]) -> Principal:
    """Who sent the HTTP request of this tool call (``McpEndpoint`` checked the key)."""
    request = ctx.request
    principal = request.scope.get(PRINCIPAL) if isinstance(request, Request) else None
    if not isinstance(principal, Principal):
        raise RuntimeError("an MCP call reached the tools without passing McpEndpoint's key check")
    return principal
