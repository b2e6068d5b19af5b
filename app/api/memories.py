"""G and inspection: write statements, list, filter, correct, get and forget memories."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.responses import Response

from ..service import MemoryService
from ..settings import Settings
from ..store.filters import MemoryFilter
from ..store.idempotency import IdempotentRequest, request_hash
from ..store.keys import Principal
from ..store.records import StoredMemory, Version
from ..store.repository import MemoryNotFound
from .deps import PrincipalDep, ServiceDep, SettingsDep, require
from .errors import InputError, responses
from .responses import json_response
from .schemas import (
    BANK_PATTERN,
    CorrectionIn,
    DeletedCount,
    HistoryOut,
    MemoriesCreated,
    MemoriesIn,
    MemoryOut,
    MemoryPage,
    VersionOut,
)
from .validation import (
    check_limit,
    check_metadata,
    check_statement,
    decode_cursor,
    encode_cursor,
    memory_filter,
    statements_of,
)

router = APIRouter(tags=["memories"])
MemoryId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Id of the memory.")]
BankQuery = Annotated[str, Query(min_length=1, max_length=64, pattern=BANK_PATTERN, description="The bank.")]
MetadataQuery = Annotated[
    str | None,
    Query(max_length=4096, description='Metadata filter, a JSON object of string values: `{"source": "chat"}`.'),
]
AfterQuery = Annotated[
    str | None,
    Query(max_length=64, description="Only memories stored strictly after this ISO-8601 time (no zone: UTC)."),
]
BeforeQuery = Annotated[
    str | None,
    Query(max_length=64, description="Only memories stored strictly before this ISO-8601 time (no zone: UTC)."),
]
IdempotencyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Retry safely: the same key and body return the first response and write nothing; "
        "the same key with another body is a 409. Keys are kept for MEMNN_IDEMPOTENCY_HOURS (24 by default).",
    ),
]


def memory_out(memory: StoredMemory) -> MemoryOut:
    return MemoryOut.model_validate(memory, from_attributes=True)


@router.post("/memories", status_code=201, response_model=MemoriesCreated, responses=responses(401, 403, 409, 413, 422))
async def add_memories(
    body: MemoriesIn,
    service: ServiceDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    idempotency_key: IdempotencyHeader = None,
) -> Response:
    """Store statements verbatim in the bank's next write positions (G), in one transaction.

    The bank is created by its first write. Each row keeps its tokens and its embeddings under
    the current model version. Repeating a statement is a new event, as in the paper.
    """
    if idempotency_key is None:
        return json_response(await remember(body, service, settings, principal), 201)
    statements = writable_statements(body, settings, principal)
    request = IdempotentRequest(
        principal.key_id,
        idempotency_key,
        request_hash(body.model_dump(mode="json")),
        timedelta(hours=settings.idempotency_hours),
    )
    response = await run_in_threadpool(
        service.add_once,
        body.bank,
        statements,
        body.metadata,
        request,
        lambda stored: MemoriesCreated(bank=body.bank, memories=[memory_out(m) for m in stored]).model_dump(
            mode="json"
        ),
    )
    return JSONResponse(response, status_code=201)


async def remember(
    body: MemoriesIn, service: MemoryService, settings: Settings, principal: Principal
) -> MemoriesCreated:
    """POST /memories without an Idempotency-Key (and the MCP tool `remember`)."""
    statements = writable_statements(body, settings, principal)
    stored = await run_in_threadpool(service.add, body.bank, statements, body.metadata)
    return MemoriesCreated(bank=body.bank, memories=[memory_out(m) for m in stored])


def writable_statements(body: MemoriesIn, settings: Settings, principal: Principal) -> list[str]:
    """The statements of a write the key may make, each one checked."""
    require(principal, body.bank, "write")
    return statements_of(body, settings)


@router.get("/memories", response_model=MemoryPage, responses=responses(401, 403, 404, 422))
def list_memories(
    service: ServiceDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    bank: BankQuery = "default",
    limit: Annotated[
        int, Query(ge=1, description="Rows per page (at most MEMNN_MAX_LIST_LIMIT, 500 by default).")
    ] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")] = None,
    metadata: MetadataQuery = None,
    created_after: AfterQuery = None,
    created_before: BeforeQuery = None,
) -> MemoryPage:
    """The bank's memories in write order, a page at a time; `total` counts every match."""
    require(principal, bank, "read")
    check_limit(limit, settings)
    where = memory_filter(metadata, created_after, created_before)
    page = service.page(bank, limit, decode_cursor(cursor), where)
    next_cursor = encode_cursor(page.memories[-1].position) if page.has_more else None
    return MemoryPage(
        bank=bank, memories=[memory_out(m) for m in page.memories], next_cursor=next_cursor, total=page.total
    )


@router.delete("/memories", response_model=DeletedCount, responses=responses(401, 403, 404, 422))
def delete_memories(
    service: ServiceDep,
    principal: PrincipalDep,
    bank: BankQuery,
    metadata: MetadataQuery = None,
    created_after: AfterQuery = None,
    created_before: BeforeQuery = None,
) -> DeletedCount:
    """Delete exactly the bank's memories that match the filters (all of them without filters);
    the bank itself stays."""
    require(principal, bank, "write")
    where: MemoryFilter = memory_filter(metadata, created_after, created_before)
    return DeletedCount(bank=bank, deleted=service.delete_matching(bank, where))


@router.get("/memories/{memory_id}", response_model=MemoryOut, responses=responses(401, 404, 422))
def get_memory(memory_id: MemoryId, service: ServiceDep, principal: PrincipalDep) -> MemoryOut:
    """One memory by id."""
    return memory_out(_visible(service.get(memory_id), principal))


@router.delete("/memories/{memory_id}", response_model=MemoryOut, responses=responses(401, 403, 404, 422))
def forget_memory(memory_id: MemoryId, service: ServiceDep, principal: PrincipalDep) -> MemoryOut:
    """Forget one memory; answers the deleted row. Other memories keep their positions."""
    require(principal, _visible(service.get(memory_id), principal).bank, "write")
    return memory_out(service.forget(memory_id))


@router.patch("/memories/{memory_id}", response_model=MemoryOut, responses=responses(401, 403, 404, 413, 422))
def correct_memory(
    memory_id: MemoryId, body: CorrectionIn, service: ServiceDep, settings: SettingsDep, principal: PrincipalDep
) -> MemoryOut:
    """Correct a memory's text and/or metadata. It keeps its id and position (a correction is not
    a new event: to record that something happened again, POST it); its embeddings are
    recomputed in the same transaction, and the previous version goes to its history."""
    require(principal, _visible(service.get(memory_id), principal).bank, "write")
    changed = body.model_fields_set & {"text", "metadata"}
    if not changed:
        raise InputError("body", "nothing to correct: give `text`, `metadata` or both")
    if "text" in changed:
        if body.text is None:
            raise InputError("text", "cannot be null: a memory always has text")
        check_statement("text", body.text, settings)
    if body.metadata is not None:
        check_metadata("metadata", body.metadata, settings)
    return memory_out(service.correct(memory_id, body.text, body.metadata, "metadata" in changed))


@router.get("/memories/{memory_id}/history", response_model=HistoryOut, responses=responses(401, 404, 422))
def memory_history(memory_id: MemoryId, service: ServiceDep, principal: PrincipalDep) -> HistoryOut:
    """Every version of a memory with the time it was written, oldest first."""
    memory = _visible(service.get(memory_id), principal)
    versions = [version_out(v) for v in service.history(memory_id)]
    return HistoryOut(id=memory.id, bank=memory.bank, versions=versions)


def version_out(version: Version) -> VersionOut:
    return VersionOut.model_validate(version, from_attributes=True)


def _visible(memory: StoredMemory, principal: Principal) -> StoredMemory:
    """A memory of a bank the key cannot read does not exist for it (no 403 that would tell)."""
    if not principal.may(memory.bank, "read"):
        raise MemoryNotFound(memory.id)
    return memory
