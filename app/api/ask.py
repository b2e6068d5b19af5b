"""O and R: answer a question from a bank, with the evidence hop by hop."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from ..service import MemoryService
from ..settings import Settings
from ..store.keys import Principal
from .deps import PrincipalDep, ServiceDep, SettingsDep, require
from .errors import responses
from .responses import json_response
from .schemas import Alternative, AskIn, AskOut, CandidateOut, EvidenceOut, HopOut, ModelRef
from .validation import check_question, filter_of

router = APIRouter(tags=["ask"])


EXPLAIN_TOP = 5


@router.post(
    "/ask", response_model=AskOut, response_model_exclude_none=True, responses=responses(401, 403, 404, 409, 413, 422)
)
async def ask(body: AskIn, service: ServiceDep, settings: SettingsDep, principal: PrincipalDep) -> Response:
    """Answer from the bank's memories: O picks supporting memories hop by hop, R the answer word.

    `evidence` lists the memories O chose, in hop order, with their scores; `alternatives`
    the next best answers. With `explain: true`, `hops` shows each hop's runner-up memories.
    """
    return json_response(await answer(body, service, settings, principal), exclude_none=True)


async def answer(body: AskIn, service: MemoryService, settings: Settings, principal: Principal) -> AskOut:
    """POST /ask's answer (and the MCP tool `ask`'s)."""
    require(principal, body.bank, "read")
    check_question(body.question, settings)
    where = filter_of(body.filter)
    result = await run_in_threadpool(
        service.ask, body.bank, body.question, body.k, EXPLAIN_TOP if body.explain else 0, where
    )
    chosen = {(e.hop, e.memory.id) for e in result.evidence}
    return AskOut(
        answer=result.answer,
        score=result.score,
        alternatives=[Alternative(answer=a, score=s) for a, s in result.alternatives],
        evidence=[
            EvidenceOut(id=e.memory.id, text=e.memory.text, position=e.memory.position, hop=e.hop, score=e.score)
            for e in result.evidence
        ],
        model=ModelRef(name=service.checkpoint.name, version=service.model_version),
        hops=[
            HopOut(
                hop=h.hop,
                stop_score=h.stop_score,
                candidates=[
                    CandidateOut(
                        id=c.id, text=c.text, position=c.position, score=c.score, chosen=(h.hop, c.id) in chosen
                    )
                    for c in h.candidates
                ],
            )
            for h in result.considered
        ]
        if body.explain
        else None,
    )
