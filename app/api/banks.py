"""Banks: list them with their sizes, delete one with everything in it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from ..deps import PrincipalDep, ServiceDep, require
from ..errors import responses
from ..schemas import BANK_PATTERN, BankDeleted, BankOut, BanksOut

router = APIRouter(tags=["banks"])


@router.get("/banks", response_model=BanksOut, responses=responses(401))
def list_banks(service: ServiceDep, principal: PrincipalDep) -> BanksOut:
    """Every bank the key may read, with its number of memories, by name."""
    visible = [b for b in service.banks() if principal.may(b.name, "read")]
    return BanksOut(banks=[BankOut(name=b.name, memories=b.memories, created_at=b.created_at) for b in visible])


@router.delete("/banks/{bank}", response_model=BankDeleted, responses=responses(401, 403, 404, 422))
def delete_bank(
    bank: Annotated[str, Path(min_length=1, max_length=64, pattern=BANK_PATTERN)],
    service: ServiceDep,
    principal: PrincipalDep,
) -> BankDeleted:
    """Delete a bank and all its memories."""
    require(principal, bank, "write")
    return BankDeleted(bank=bank, deleted=service.delete_bank(bank))
