"""Typed dependencies: routes declare what they need in their signatures."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ..memnn.checkpoint import Checkpoint
from ..service import MemoryService
from ..settings import Settings
from ..store import keys
from ..store.keys import Principal
from .errors import InputError

OPEN_ACCESS = Principal(0, "auth disabled", "write", (keys.ALL_BANKS,))
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
    secret = credentials.credentials if credentials is not None and credentials.scheme.lower() == "bearer" else None
    return await principal_of(request.app.state.settings, request.app.state.service, secret)


async def principal_of(settings: Settings, service: MemoryService, secret: str | None) -> Principal:
    """Who acts with the API key ``secret`` (over REST, /mcp and `memnn mcp` alike): 401 without a
    valid one, unless keys are switched off."""
    if settings.auth_disabled:
        return OPEN_ACCESS
    if secret is None:
        raise HTTPException(401, "missing API key: send `Authorization: Bearer <key>`", {"WWW-Authenticate": "Bearer"})
    principal = await run_in_threadpool(_authenticate, service, secret)
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


async def known_query_only(request: Request) -> None:
    """A query parameter the route does not take is a 422, not silently ignored (``?bnk=b1`` would
    otherwise list the default bank)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    taken = _query_names(route)
    unknown = sorted(set(request.query_params) - taken)
    if unknown:
        names = ", ".join(sorted(taken)) or "no query parameters"
        raise InputError(unknown[0], f"not a query parameter of {request.method} {route.path}: it takes {names}")


_taken: dict[int, frozenset[str]] = {}


def _query_names(route: APIRoute) -> frozenset[str]:
    if id(route) not in _taken:
        _taken[id(route)] = frozenset(_query_params(route.dependant))
    return _taken[id(route)]


def _query_params(dependant: Dependant) -> list[str]:
    names = [field.alias for field in dependant.query_params]
    return names + [name for sub in dependant.dependencies for name in _query_params(sub)]
