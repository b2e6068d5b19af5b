"""Liveness and readiness, open to every caller."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from .deps import ServiceDep
from .schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is alive."""
    return Health()


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness, "description": "Not ready."}})
def readyz(service: ServiceDep) -> Readiness | JSONResponse:
    """Ready when the database answers and commits a write (a full disk, a read-only file or a
    read-only replica is not ready: every write would fail)."""
    database, writable = service.database_health()
    ready = Readiness(status="ready" if writable else "not ready", database=database, writable=writable)
    return ready if writable else JSONResponse(ready.model_dump(), status_code=503)
