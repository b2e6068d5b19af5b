"""G and inspection: write statements, list, get and forget memories."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from ..deps import PrincipalDep, ServiceDep, SettingsDep, require
from ..errors import responses
from ..limits import check_limit, decode_cursor, encode_cursor, statements_of
from ..schemas import BANK_PATTERN, MemoriesCreated, MemoriesIn, MemoryOut, MemoryPage
from ..store.keys import Principal
from ..store.repository import MemoryNotFound, StoredMemory

router = APIRouter(tags=["memories"])
MemoryId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Id of the memory.")]


def memory_out(memory: StoredMemory) -> MemoryOut:
    return MemoryOut(
        id=memory.id,
        bank=memory.bank,
        position=memory.position,
        text=memory.text,
        metadata=memory.meta,
        created_at=memory.created_at,
    )


@router.post("/memories", status_code=201, response_model=MemoriesCreated, responses=responses(401, 403, 413, 422))
def add_memories(
    body: MemoriesIn, service: ServiceDep, settings: SettingsDep, principal: PrincipalDep
) -> MemoriesCreated:
    """Store statements verbatim in the bank's next write positions (G), in one transaction.

    The bank is created by its first write. Each row keeps its tokens and its embeddings under
    the current model version. Repeating a statement is a new event, as in the paper.
    """
    require(principal, body.bank, "write")
    statements = statements_of(body, settings)
    stored = service.add(body.bank, statements, body.metadata)
    return MemoriesCreated(bank=body.bank, memories=[memory_out(m) for m in stored])


@router.get("/memories", response_model=MemoryPage, responses=responses(401, 403, 404, 422))
def list_memories(
    service: ServiceDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    bank: Annotated[
        str, Query(min_length=1, max_length=64, pattern=BANK_PATTERN, description="Bank to list.")
    ] = "default",
    limit: Annotated[
        int, Query(ge=1, description="Rows per page (at most MEMNN_MAX_LIST_LIMIT, 500 by default).")
    ] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")] = None,
) -> MemoryPage:
    """The bank's memories in write order, a page at a time, with the bank's total."""
    require(principal, bank, "read")
    check_limit(limit, settings)
    page = service.page(bank, limit, decode_cursor(cursor))
    next_cursor = encode_cursor(page.memories[-1].position) if page.has_more else None
    return MemoryPage(
        bank=bank, memories=[memory_out(m) for m in page.memories], next_cursor=next_cursor, total=page.total
    )


@router.get("/memories/{memory_id}", response_model=MemoryOut, responses=responses(401, 404, 422))
def get_memory(memory_id: MemoryId, service: ServiceDep, principal: PrincipalDep) -> MemoryOut:
    """One memory by id."""
    return memory_out(_visible(service.get(memory_id), principal))


@router.delete("/memories/{memory_id}", response_model=MemoryOut, responses=responses(401, 403, 404, 422))
def forget_memory(memory_id: MemoryId, service: ServiceDep, principal: PrincipalDep) -> MemoryOut:
    """Forget one memory; answers the deleted row. Other memories keep their positions."""
    require(principal, _visible(service.get(memory_id), principal).bank, "write")
    return memory_out(service.forget(memory_id))


def _visible(memory: StoredMemory, principal: Principal) -> StoredMemory:
    """A memory of a bank the key cannot read does not exist for it (no 403 that would tell)."""
    if not principal.may(memory.bank, "read"):
        raise MemoryNotFound(memory.id)
    return memory
