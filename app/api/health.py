"""Liveness and readiness, open to every caller."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from ..deps import ServiceDep
from ..schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is alive."""
    return Health()


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness, "description": "Not ready."}})
def readyz(service: ServiceDep) -> Readiness | JSONResponse:
    """The database answers and the model is loaded."""
    try:
        with service.sessions() as session:
            session.execute(text("SELECT 1"))
        database = True
    except Exception:  # any failure to reach the database means not ready
        database = False
    model = service.checkpoint is not None
    ready = Readiness(status="ready" if database and model else "not ready", database=database, model=model)
    return ready if database and model else JSONResponse(ready.model_dump(), status_code=503)
