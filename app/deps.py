"""Typed dependencies: routes declare what they need in their signatures."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from .memnn.checkpoint import Checkpoint
from .service import MemoryService
from .settings import Settings
from .store import keys
from .store.keys import Principal

OPEN_ACCESS = Principal("auth disabled", "write", (keys.ALL_BANKS,))
bearer = HTTPBearer(auto_error=False, description="An API key from `memnn keys create`.")


# The lookups are ``async`` so that FastAPI calls them on the event loop: a sync dependency
# costs a trip through the thread pool, and a request has several.


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_service(request: Request) -> MemoryService:
    service: MemoryService = request.app.state.service
    return service


async def get_checkpoint(request: Request) -> Checkpoint:
    service: MemoryService = request.app.state.service
    return service.checkpoint


SettingsDep = Annotated[Settings, Depends(get_settings)]
ServiceDep = Annotated[MemoryService, Depends(get_service)]
CheckpointDep = Annotated[Checkpoint, Depends(get_checkpoint)]


async def get_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    """The caller's key: 401 without a valid one (unless keys are switched off)."""
    settings: Settings = request.app.state.settings
    service: MemoryService = request.app.state.service
    if settings.auth_disabled:
        return OPEN_ACCESS
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "missing API key: send `Authorization: Bearer <key>`", {"WWW-Authenticate": "Bearer"})
    principal = await run_in_threadpool(_authenticate, service, credentials.credentials)
    if principal is None:
        raise HTTPException(401, "unknown or revoked API key", {"WWW-Authenticate": "Bearer"})
    return principal


def _authenticate(service: MemoryService, secret: str) -> Principal | None:
    with service.sessions() as session:
        return keys.authenticate(session, secret)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(principal: Principal, bank: str, scope: str) -> None:
    """403 when the key may not ``scope`` ("read" or "write") the bank."""
    if not principal.may(bank, scope):
        raise HTTPException(403, f"this API key ({principal.name!r}) may not {scope} bank {bank!r}")
