"""Banks: list them with their sizes, delete one with everything in it, export one as JSON Lines and
import such lines into an empty one, a line at a time as they arrive."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated

import anyio.from_thread
from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from .deps import PrincipalDep, ServiceDep, SettingsDep, require
from .errors import responses
from .json_lines import export_line, import_batches
from .schemas import BANK_PATTERN, BankDeleted, BankOut, BanksOut, ImportResult

router = APIRouter(tags=["banks"])
BankPath = Annotated[str, Path(min_length=1, max_length=64, pattern=BANK_PATTERN)]
JSON_LINES = "application/x-ndjson"
STREAMED_BODY = re.compile(r"/banks/[^/]+/import")  # the body limit lets these bodies through, a chunk at a time


@router.get("/banks", response_model=BanksOut, responses=responses(401))
def list_banks(service: ServiceDep, principal: PrincipalDep) -> BanksOut:
    """Every bank the key may read, with its number of memories, by name."""
    visible = [b for b in service.banks() if principal.may(b.name, "read")]
    return BanksOut(banks=[BankOut(name=b.name, memories=b.memories, created_at=b.created_at) for b in visible])


@router.delete("/banks/{bank}", response_model=BankDeleted, responses=responses(401, 403, 404, 422))
def delete_bank(
    bank: BankPath,
    service: ServiceDep,
    principal: PrincipalDep,
) -> BankDeleted:
    """Delete a bank and all its memories."""
    require(principal, bank, "write")
    return BankDeleted(bank=bank, deleted=service.delete_bank(bank))


@router.get(
    "/banks/{bank}/export",
    response_class=StreamingResponse,
    responses={
        200: {"description": "One `ExportLine` JSON object per line.", "content": {JSON_LINES: {}}},
        **responses(401, 403, 404, 422),
    },
)
def export_bank(bank: BankPath, service: ServiceDep, principal: PrincipalDep) -> StreamingResponse:
    """The bank as JSON Lines: text, metadata, position, times and history of every memory, in
    write order. `POST /banks/{bank}/import` loads it into another store."""
    require(principal, bank, "read")
    service.check_bank(bank)
    return StreamingResponse(map(export_line, service.export(bank)), media_type=JSON_LINES)


@router.post(
    "/banks/{bank}/import",
    status_code=201,
    response_model=ImportResult,
    responses=responses(401, 403, 408, 409, 413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "JSON Lines from `GET /banks/{bank}/export`: one `ExportLine` object per line.",
            "content": {JSON_LINES: {"schema": {"type": "string"}}},  # described line by line in ``openapi.py``
        }
    },
)
async def import_bank(
    bank: BankPath, request: Request, service: ServiceDep, settings: SettingsDep, principal: PrincipalDep
) -> ImportResult:
    """Load an export into an empty (or new) bank: positions, times, metadata and history as they
    were; embeddings are computed under this service's model. The body is read a line at a time
    (MEMNN_MAX_IMPORT_LINE_BYTES, MEMNN_MAX_IMPORT_STATEMENTS; not MEMNN_MAX_BODY_BYTES) and written
    in batches, in one transaction: a bad line is a 4xx naming it, and nothing is stored."""
    require(principal, bank, "write")
    batches = import_batches(_arriving(request), settings)
    imported = await run_in_threadpool(service.import_bank, bank, batches)  # the checks and writes keep off the loop
    return ImportResult(bank=bank, imported=imported)


def _arriving(request: Request) -> Iterator[bytes]:
    """The request's body as it arrives, for a worker thread: each chunk is awaited on the event loop."""
    chunks = request.stream()

    async def next_chunk() -> bytes | None:
        return await anext(chunks, None)

    while (chunk := anyio.from_thread.run(next_chunk)) is not None:
        yield chunk
