"""The MCP tools an agent acts with: remember, ask, list_memories, forget and correct.

A tool is the REST route it names, called as a function (``app.api``): the same key checks, limits,
validation and service call, in the same order, and the same answer, sent as structured content
(and as its JSON text). Its arguments are checked first by a model made of the REST contract's field
types, so a wrong one is refused in the words of the REST 422; every refusal is a tool error
(``isError``) whose text is the REST error's ``detail``.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from mcp import types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from ..api import ask, memories
from ..api.errors import DATABASE_FAILED, INTERNAL_ERROR, invalid_fields, naming, refusal
from ..api.openapi import text_schema
from ..api.schemas import (
    AskIn,
    AskOut,
    BankName,
    CorrectionIn,
    FilterIn,
    HopCount,
    MemoriesCreated,
    MemoriesIn,
    MemoryOut,
    MemoryPage,
    WholeNumber,
)
from ..service import MemoryService
from ..settings import Settings
from ..store.keys import Principal

log = logging.getLogger("memnn")
PrincipalOf = Callable[[ServerRequestContext[Any, Any]], Awaitable[Principal]]
INSTRUCTIONS = """\
memnn is a Memory Network (Weston, Chopra & Bordes 2014): a long-term memory of short statements,
kept in banks (one bank per story, user or tenant). `remember` stores statements in the order things
happened ("Joe went to the kitchen.", "Joe picked up the milk."); `ask` answers a question from a
bank with its evidence: the memories it used, hop by hop. The latest statement about something wins,
so to record that something happened again, remember it again; `correct` only fixes what a memory says."""


@dataclass(frozen=True)
class Caller:
    service: MemoryService
    settings: Settings
    principal: Principal


class RememberArguments(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bank: BankName
    statements: list[StrictStr] = Field(
        description="Statements, one short fact each, in the order they happened; each is stored verbatim as "
        "one memory.",
        examples=[["Joe went to the kitchen.", "Joe picked up the milk."]],
    )
    metadata: dict[str, Any] | None = Field(
        None, description="A JSON object kept with every memory of this call and returned as sent."
    )


class AskArguments(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bank: BankName
    question: StrictStr = Field(description="A question about the bank's memories.", examples=["Where is the milk?"])
    k: HopCount | None = Field(None, description=AskIn.model_fields["k"].description)
    filter: FilterIn | None = Field(None, description=AskIn.model_fields["filter"].description)


class ListArguments(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bank: BankName
    limit: WholeNumber = Field(50, ge=1, description="Memories per page.")
    cursor: StrictStr | None = Field(
        None, max_length=200, description="`next_cursor` of the previous page; left out: the first page."
    )


class ForgetArguments(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: WholeNumber = Field(ge=1, le=2**63 - 1, description="The memory's id (from remember, list_memories or ask).")


class CorrectArguments(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: WholeNumber = Field(ge=1, le=2**63 - 1, description="The memory's id (from remember, list_memories or ask).")
    text: StrictStr = Field(description="What the memory says from now on.")


async def remember(caller: Caller, arguments: RememberArguments) -> dict[str, Any]:
    body = MemoriesIn(bank=arguments.bank, statements=arguments.statements, metadata=arguments.metadata)
    created = await memories.remember(body, caller.service, caller.settings, caller.principal)
    return created.model_dump(mode="json")


async def ask_bank(caller: Caller, arguments: AskArguments) -> dict[str, Any]:
    body = AskIn(bank=arguments.bank, question=arguments.question, k=arguments.k, filter=arguments.filter)
    answer = await ask.answer(body, caller.service, caller.settings, caller.principal)
    return answer.model_dump(mode="json", exclude_none=True)  # as POST /ask answers


async def list_memories(caller: Caller, arguments: ListArguments) -> dict[str, Any]:
    page = await run_in_threadpool(
        memories.list_memories,
        service=caller.service,
        settings=caller.settings,
        principal=caller.principal,
        bank=arguments.bank,
        limit=arguments.limit,
        cursor=arguments.cursor,
    )
    return page.model_dump(mode="json")


async def forget(caller: Caller, arguments: ForgetArguments) -> dict[str, Any]:
    forgotten = await run_in_threadpool(memories.forget_memory, arguments.id, caller.service, caller.principal)
    return forgotten.model_dump(mode="json")


async def correct(caller: Caller, arguments: CorrectArguments) -> dict[str, Any]:
    body = CorrectionIn(text=arguments.text)
    corrected = await run_in_threadpool(
        memories.correct_memory, arguments.id, body, caller.service, caller.settings, caller.principal
    )
    return corrected.model_dump(mode="json")


@dataclass(frozen=True)
class McpTool:
    name: str
    description: str
    arguments: type[BaseModel]
    answer: type[BaseModel]  # its structured content, the REST route's response model
    run: Callable[[Caller, Any], Awaitable[dict[str, Any]]]
    annotations: types.ToolAnnotations

    def listing(self, settings: Settings) -> types.Tool:
        return types.Tool(
            name=self.name,
            description=self.description.format(settings=settings),
            input_schema=_input_schema(self.arguments, settings),
            output_schema=self.answer.model_json_schema(),
            annotations=self.annotations,
        )


TOOLS = (
    McpTool(
        "remember",
        "Store statements in a bank as new memories, in the order given, at the bank's next write positions "
        "(the bank is created by its first write). Give each fact as one short statement, as it happened: "
        '"Joe went to the kitchen.", "Joe picked up the milk.". A statement repeated is a new event. At most '
        "{settings.max_statements_per_request} statements of at most {settings.max_statement_chars} characters. "
        "Returns every stored memory: its id, position, text, metadata and time.",
        RememberArguments,
        MemoriesCreated,
        remember,
        types.ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False),
    ),
    McpTool(
        "ask",
        "Answer a question from a bank's memories. The Memory Network picks supporting memories hop by hop "
        "(hop 1 from the question alone, hop 2 given hop 1, ...) and scores every word for the answer. Returns "
        "`answer` and its `score`, the next best `alternatives`, and `evidence`: the memories it used, each with "
        "its id, text, position, hop and score. `k` sets the most hops (left out, the model decides); `filter` "
        "answers only from memories with that metadata or creation time.",
        AskArguments,
        AskOut,
        ask_bank,
        types.ToolAnnotations(read_only_hint=True),
    ),
    McpTool(
        "list_memories",
        "List a bank's memories in write order, a page at a time (at most {settings.max_list_limit} a page): pass "
        "the answer's `next_cursor` as `cursor` for the next page (null on the last). `total` counts the bank's "
        "memories.",
        ListArguments,
        MemoryPage,
        list_memories,
        types.ToolAnnotations(read_only_hint=True),
    ),
    McpTool(
        "forget",
        "Forget one memory by its id; the others keep their positions. Returns the forgotten memory.",
        ForgetArguments,
        MemoryOut,
        forget,
        types.ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True),
    ),
    McpTool(
        "correct",
        "Correct what a memory says: it keeps its id and write position, and its earlier text stays in its "
        "history. A correction is not a new event: to record that something happened again, use `remember`. "
        "Returns the corrected memory, its `version` one higher.",
        CorrectArguments,
        MemoryOut,
        correct,
        types.ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True),
    ),
)


def _input_schema(arguments: type[BaseModel], settings: Settings) -> dict[str, Any]:
    """The arguments' JSON schema, with the limits the settings set (as the OpenAPI document states them)."""
    schema = arguments.model_json_schema()
    properties = schema["properties"]
    statement = text_schema(settings.max_statement_chars)
    if "statements" in properties:
        properties["statements"] |= {"items": statement, "minItems": 1, "maxItems": settings.max_statements_per_request}
    if "question" in properties:
        properties["question"] |= text_schema(settings.max_question_chars)
    if "text" in properties:
        properties["text"] |= statement
    if "limit" in properties:
        properties["limit"]["maximum"] = settings.max_list_limit
    return schema


def mcp_server(service: MemoryService, settings: Settings, principal: PrincipalOf) -> Server[Any]:
    """The MCP server of the tools; ``principal`` names who acts in a call (the key of its HTTP request,
    or the key `memnn mcp` runs with)."""
    by_name = {tool.name: tool for tool in TOOLS}
    listed = types.ListToolsResult(tools=[tool.listing(settings) for tool in TOOLS])

    async def list_tools(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return listed

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        tool = by_name.get(params.name)
        if tool is None:
            return _failed(f"no tool {params.name!r}: the tools are {', '.join(by_name)}")
        try:
            caller = Caller(service, settings, await principal(ctx))  # a key first, as over REST (401 before 422)
            answer = await tool.run(caller, tool.arguments.model_validate(params.arguments or {}))
        except Exception as error:
            return _failed(_detail(tool.name, error))
        text = types.TextContent(text=json.dumps(answer, ensure_ascii=False))
        return types.CallToolResult(content=[text], structured_content=answer)

    return Server("memnn", version="0.1.0", instructions=INSTRUCTIONS, on_list_tools=list_tools, on_call_tool=call_tool)


def _failed(detail: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=detail)], is_error=True)


def _detail(tool: str, error: Exception) -> str:
    """The ``detail`` the REST API answers for what a call raised."""
    if isinstance(error, ValidationError):
        return invalid_fields(error.errors())[0]
    if (refused := refusal(error)) is not None:
        _, message, field = refused
        return naming(field, message)
    if isinstance(error, SQLAlchemyError):
        log.error("database error in MCP tool %s: %s", tool, str(error))
        traceback.clear_frames(error.__traceback__)  # closes its connection now (``errors.database_failed``)
        return DATABASE_FAILED
    log.exception("unhandled error in MCP tool %s", tool, exc_info=error)
    return INTERNAL_ERROR
