"""Responses of the hot routes: ``async`` handlers that run their blocking work in one thread-pool trip.

A plain ``def`` route costs two trips through the thread pool (the handler, then FastAPI's check
of its return value against the response model). These routes await the service in one trip and
send the model they built (already validated as it was built) as JSON themselves.
"""

from __future__ import annotations

from pydantic import BaseModel
from starlette.responses import Response


def json_response(model: BaseModel, status_code: int = 200, exclude_none: bool = False) -> Response:
    return Response(model.model_dump_json(exclude_none=exclude_none), status_code, media_type="application/json")
