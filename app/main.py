"""create_app(): load the model, open and migrate the database, serve the API and offline docs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import torch
from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.routing import Route
from swagger_ui_bundle import swagger_ui_path

from .api import ask, banks, errors, health, memories, metrics, model
from .api.access import RequestLog
from .api.body_limit import BodyLimit
from .api.deps import known_query_only
from .api.openapi import openapi_document
from .mcp import tools
from .mcp.http import McpEndpoint, request_principal
from .memnn import checkpoint as checkpoints
from .memnn.checkpoint import Checkpoint
from .process_memory import freeze_startup_objects
from .service import MemoryService
from .settings import Settings
from .store import keys
from .store.database import is_migrated, make_engine, migrate, session_factory

log = logging.getLogger("memnn")
STATIC = Path(__file__).resolve().parent / "static"
DESCRIPTION = """
A live, writable **Memory Network** (Weston, Chopra & Bordes, 2014).

- `POST /memories` writes statements at a bank's next write positions (G).
- `POST /ask` picks supporting memories hop by hop (O) and scores every word for the answer (R),
  and answers **with its evidence**: which memories, at which hop, with which scores.
- `GET /memories`, `GET /banks` show what is stored; `DELETE` forgets.
- `/mcp` serves the same as MCP tools to agents (streamable HTTP, the same keys).

The page at `/` shows the same evidence hop by hop.
"""


def open_service(settings: Settings, checkpoint: Checkpoint | None = None) -> tuple[MemoryService, Engine]:
    """The model and the migrated database, as `memnn serve` and `memnn mcp` both serve them."""
    torch.set_num_threads(settings.torch_threads)  # the process's setting: this is its server
    checkpoint = checkpoint or checkpoints.load(settings.model_path)
    engine = make_engine(settings.database_url)
    if settings.migrate_on_start:
        migrate(settings.database_url)
    elif not is_migrated(engine):
        raise RuntimeError("the database has no memnn schema: run `memnn migrate` or set MEMNN_MIGRATE_ON_START=true")

    _warn_about_access(settings, engine)
    service = MemoryService(
        checkpoint,
        session_factory(engine),
        settings.word_hashing,
        settings.snapshot_dir,
        settings.snapshot_min_rows,
        settings.cache_bytes,
    )
    return service, engine


def save_snapshots(service: MemoryService, settings: Settings) -> None:
    """At shutdown: a restart then loads the large banks in a second."""
    saved = service.save_snapshots()
    if saved:
        log.info("saved snapshots of %d bank(s) to %s", len(saved), settings.snapshot_dir)


def create_app(settings: Settings | None = None, checkpoint: Checkpoint | None = None) -> FastAPI:
    settings = settings or Settings()
    service, engine = open_service(settings, checkpoint)
    mcp = McpEndpoint(tools.mcp_server(service, settings, request_principal))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        freeze_startup_objects()
        async with mcp.running():
            yield
        save_snapshots(service, settings)

    app = FastAPI(
        title="memnn",
        version="0.1.0",
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        dependencies=[Depends(known_query_only)],
    )
    app.state.settings = settings
    app.state.service = service
    app.state.engine = engine
    app.state.metrics = metrics.Metrics(service)
    errors.install(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = openapi_document(app, settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    for router in (memories.router, banks.router, ask.router, model.router, health.router, metrics.router):
        app.include_router(router)
    app.router.routes.append(Route("/mcp", mcp, name="mcp", include_in_schema=False))  # MCP over streamable HTTP
    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_path), name="swagger")
    app.mount("/ui", StaticFiles(directory=STATIC), name="ui")

    @app.get("/", include_in_schema=False)
    def evidence_page() -> FileResponse:
        """The evidence page: memories, a question, and what O chose at every hop."""
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="memnn API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )

    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        idle_seconds=settings.body_timeout_seconds,
        streamed=banks.STREAMED_BODY,  # an import: read a line at a time, under its own limits
    )
    app.add_middleware(RequestLog, metrics=app.state.metrics)  # added last: around everything, the body limit too
    return app


def _warn_about_access(settings: Settings, engine: Engine) -> None:
    if settings.auth_disabled:
        log.warning(
            "\n%s\nMEMNN_AUTH_DISABLED=true: API KEYS ARE OFF. Anyone who can reach this server can read,\n"
            "write and delete every bank. Use this for local development only.\n%s",
            "!" * 78,
            "!" * 78,
        )
        return
    with session_factory(engine)() as session:
        if not keys.any_active_key(session):
            log.warning("no API key exists, so every request will get 401: create one with `memnn keys create`")
