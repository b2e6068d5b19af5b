"""`memnn mcp`: the MCP tools over stdin and stdout, on the database and settings of `memnn serve`,
acting with the API key in MEMNN_API_KEY: its banks and scope, checked at every call as REST checks
every request (a key revoked meanwhile is refused at once)."""

from __future__ import annotations

from typing import Any

import anyio
from mcp.server.context import ServerRequestContext
from mcp.server.stdio import stdio_server
from starlette.exceptions import HTTPException

from ..api.deps import principal_of
from ..main import open_service, save_snapshots
from ..settings import Settings
from ..store.keys import Principal
from .tools import mcp_server

NO_KEY = "MEMNN_API_KEY is not set: give it a key from `memnn keys create` (the tools act with its banks and scope)"


def serve(settings: Settings) -> None:
    """Serve until stdin closes. A missing, unknown or revoked key is a ValueError before serving starts."""
    anyio.run(_serve, settings)


async def _serve(settings: Settings) -> None:
    secret = settings.api_key.get_secret_value() if settings.api_key is not None else None
    if secret is None and not settings.auth_disabled:
        raise ValueError(NO_KEY)
    service, engine = open_service(settings)
    try:
        try:
            await principal_of(settings, service, secret)
        except HTTPException as refused:
            raise ValueError(f"MEMNN_API_KEY: {refused.detail}") from None

        async def key_principal(_: ServerRequestContext[Any, Any]) -> Principal:
            return await principal_of(settings, service, secret)

        server = mcp_server(service, settings, key_principal)
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
        save_snapshots(service, settings)
    finally:
        engine.dispose()
