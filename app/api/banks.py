"""Banks: list them with their sizes, delete one with everything in it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from ..store.records import Portable
from .deps import PrincipalDep, ServiceDep, SettingsDep, require
from .errors import responses
from .schemas import BANK_PATTERN, BankDeleted, BankOut, BanksOut, ExportLine, ImportResult
from .validation import import_lines

router = APIRouter(tags=["banks"])
BankPath = Annotated[str, Path(min_length=1, max_length=64, pattern=BANK_PATTERN)]
JSON_LINES = "application/x-ndjson"


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
    lines = (_line(row).model_dump_json() + "\n" for row in service.export(bank))
    return StreamingResponse(lines, media_type=JSON_LINES)


@router.post(
    "/banks/{bank}/import",
    status_code=201,
    response_model=ImportResult,
    responses=responses(401, 403, 409, 413, 422),
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
    """Load an export into an empty (or new) bank: positions, times, metadata and history as
    they were; embeddings are computed under this service's model."""
    require(principal, bank, "write")
    body = await request.body()
    rows = await run_in_threadpool(import_lines, body, settings)  # a large body's checks keep off the event loop
    return ImportResult(bank=bank, imported=await run_in_threadpool(service.import_bank, bank, rows))


def _line(row: Portable) -> ExportLine:
    return ExportLine.model_validate(row, from_attributes=True)
