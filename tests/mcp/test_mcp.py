"""The MCP tools with the `mcp` client, on stdio (`memnn mcp` as a subprocess) and on /mcp of a real
`memnn serve`, on SQLite and PostgreSQL: the README's milk story answered with its evidence, a key's
banks and scope as over REST, and every refusal in the REST error's words."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

from app.mcp import stdio
from app.settings import Settings
from app.store import keys
from app.store.database import make_engine, migrate, session_factory

from ..conftest import MILK_STORY, emptied
from ..server import serving

README = Path(__file__).resolve().parents[2] / "README.md"
# the client configurations the README gives agent applications: stdio's, then HTTP's
MCP_SECTION = README.read_text().split("## MCP for agents")[1].split("\n## ")[0]
STDIO_CONFIG, HTTP_CONFIG = (
    json.loads(block)["mcpServers"]["memnn"] for block in re.findall(r"```json\n(.*?)```", MCP_SECTION, re.S)
)
TRANSPORTS = [("stdio", "auto"), ("stdio", "legacy"), ("http", "auto"), ("http", "legacy")]
MILK_BANKS = [f"milk-{transport}-{mode}" for transport, mode in TRANSPORTS]
pytestmark = pytest.mark.slow  # starts a server per database, and `memnn mcp` processes


@dataclass
class Served:
    database_url: str
    url: str
    agent_key: str  # writes the milk banks, "b1" and "empty" only
    reader_key: str  # reads bank "b1" only


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('mcp') / 'memnn.db'}"
    else:
        url = emptied(request.getfixturevalue("postgres_database"))
    migrate(url)
    engine = make_engine(url)
    with session_factory(engine).begin() as session:
        agent_key = keys.create_key(session, "agent", "write", [*MILK_BANKS, "b1", "empty"])
        reader_key = keys.create_key(session, "reader", "read", ["b1"])
    engine.dispose()
    with serving(url, MEMNN_AUTH_DISABLED="false", MEMNN_SNAPSHOT_DIR="") as base:
        yield Served(url, base, agent_key, reader_key)


@asynccontextmanager
async def connected(transport: str, mode: str, served: Served, key: str) -> AsyncIterator[Client]:
    """An MCP client acting with ``key``: `memnn mcp` spawned with it, or /mcp with it as the Bearer key."""
    if transport == "stdio":
        values = {"MEMNN_API_KEY": key, "MEMNN_DATABASE_URL": served.database_url}
        env = {name: values[name] for name in STDIO_CONFIG["env"]} | {"MEMNN_SNAPSHOT_DIR": ""}
        command = str(Path(sys.executable).with_name(STDIO_CONFIG["command"]))  # the console script of this venv
        server = StdioServerParameters(command=command, args=STDIO_CONFIG["args"], env=env)
        async with Client(server, mode=mode) as client:
            yield client
        return
    headers = {name: value.replace("mk_...", key) for name, value in HTTP_CONFIG["headers"].items()}
    endpoint = served.url + urlsplit(HTTP_CONFIG["url"]).path
    async with (
        httpx2.AsyncClient(headers=headers) as http,
        Client(streamable_http_client(endpoint, http_client=http), mode=mode) as client,
    ):
        yield client


def _refusal(result: CallToolResult) -> str:
    assert result.is_error, result
    [content] = result.content
    assert content.type == "text"
    return content.text


@pytest.mark.parametrize(("transport", "mode"), TRANSPORTS)
def test_an_agent_stores_the_milk_story_asks_and_is_refused_another_bank(served: Served, transport: str, mode: str):
    bank = f"milk-{transport}-{mode}"

    async def session() -> None:
        async with connected(transport, mode, served, served.agent_key) as agent:
            stored = await agent.call_tool("remember", {"bank": bank, "statements": MILK_STORY})
            assert not stored.is_error and [m["text"] for m in stored.structured_content["memories"]] == MILK_STORY

            asked = await agent.call_tool("ask", {"bank": bank, "question": "Where is the milk now?"})
            assert not asked.is_error, asked.content
            answer = asked.structured_content
            assert answer["answer"] == "office"
            assert "Joe left the milk." in [e["text"] for e in answer["evidence"]]
            assert [e["hop"] for e in answer["evidence"]] == list(range(1, len(answer["evidence"]) + 1))

            for tool, arguments in [
                ("ask", {"bank": "b2", "question": "Where is the milk now?"}),
                ("remember", {"bank": "b2", "statements": ["Joe went home."]}),
                ("list_memories", {"bank": "b2"}),
            ]:
                refused = await agent.call_tool(tool, arguments)
                scope = "read" if tool != "remember" else "write"
                assert _refusal(refused) == f"this API key ('agent') may not {scope} bank 'b2'"

    asyncio.run(session())
    rows = httpx.get(f"{served.url}/memories", params={"bank": bank}, headers=_bearer(served.agent_key)).json()
    assert [m["text"] for m in rows["memories"]] == MILK_STORY  # the server's database, whatever the transport


def test_every_refusal_is_the_rest_errors_detail(served: Served):
    """Each failing call, sent as a tool call over /mcp and as its REST request: the same words."""
    written = {"bank": "b1", "statements": ["Mary went home."]}
    (kept,) = httpx.post(f"{served.url}/memories", json=written, headers=_bearer(served.agent_key)).json()["memories"]
    memory, gone = f"/memories/{kept['id']}", f"/memories/{kept['id'] + 1}"
    limit, cursor = {"bank": "b1", "limit": 501}, {"bank": "b1", "cursor": "page-2"}
    cases: list[tuple[str, str, dict[str, Any], str, str, dict[str, Any] | None]] = [
        # the key, the tool and its arguments; the REST method, path and request (None: the arguments as JSON)
        ("reader", "remember", {"bank": "b1", "statements": ["Joe went home."]}, "POST", "/memories", None),
        ("agent", "remember", {"bank": "b 1", "statements": ["Joe went home."]}, "POST", "/memories", None),
        ("agent", "remember", {"bank": "b1", "statements": ["Joe.", "..."]}, "POST", "/memories", None),
        ("agent", "remember", {"bank": "b1", "statements": ["x" * 1001]}, "POST", "/memories", None),
        ("agent", "ask", {"bank": "b1", "question": "Where is Mary?", "k": 11}, "POST", "/ask", None),
        ("agent", "ask", {"bank": "empty", "question": "Where?"}, "POST", "/ask", None),
        ("agent", "ask", {"bank": "b1", "question": "Where?", "filter": {"metadata": {}}}, "POST", "/ask", None),
        ("agent", "ask", {"bank": "b1", "question": "Who?", "filter": {"metadata": {"a": "z"}}}, "POST", "/ask", None),
        ("agent", "list_memories", limit, "GET", "/memories", {"params": limit}),
        ("agent", "list_memories", cursor, "GET", "/memories", {"params": cursor}),
        ("agent", "forget", {"id": kept["id"] + 1}, "DELETE", gone, {}),
        ("reader", "forget", {"id": kept["id"]}, "DELETE", memory, {}),
        ("reader", "correct", {"id": kept["id"], "text": "Mary went out."}, "PATCH", memory, {"json": {"text": "x"}}),
        ("agent", "correct", {"id": kept["id"], "text": " "}, "PATCH", memory, {"json": {"text": " "}}),
    ]
    keys = {"agent": served.agent_key, "reader": served.reader_key}

    async def refusals(who: str) -> list[str]:
        async with connected("http", "auto", served, keys[who]) as client:
            calls = [(tool, arguments) for key, tool, arguments, *_ in cases if key == who]
            return [_refusal(await client.call_tool(tool, arguments)) for tool, arguments in calls]

    said = {who: asyncio.run(refusals(who)) for who in keys}
    for key, tool, arguments, method, path, request in cases:
        sent = {"json": arguments} if request is None else request
        rest = httpx.request(method, served.url + path, headers=_bearer(keys[key]), **sent)
        assert rest.status_code in (403, 404, 409, 422), (tool, rest.text)
        assert said[key].pop(0) == rest.json()["detail"], (tool, arguments)


def test_mcp_needs_a_key_as_rest_does(served: Served):
    for headers in ({}, _bearer("mk_not-a-key"), {"Authorization": "Basic bWU6bWU="}):
        refused = httpx.post(f"{served.url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers=headers)
        rest = httpx.get(f"{served.url}/banks", headers=headers)
        assert (refused.status_code, refused.json()) == (401, rest.json()), headers
        assert refused.headers["www-authenticate"] == "Bearer"

    async def listing() -> None:
        async with connected("http", "auto", served, served.reader_key) as reader:
            tools = {tool.name: tool for tool in (await reader.list_tools()).tools}
            assert list(tools) == ["remember", "ask", "list_memories", "forget", "correct"]
            assert set(tools["remember"].input_schema["required"]) == {"bank", "statements"}
            assert tools["remember"].input_schema["properties"]["statements"]["maxItems"] == 1000  # the setting
            assert set(tools["ask"].input_schema["properties"]) == {"bank", "question", "k", "filter"}
            assert {"answer", "evidence"} <= set(tools["ask"].output_schema["properties"])
            assert all(tool.description and tool.output_schema for tool in tools.values())

    asyncio.run(listing())


def test_memnn_mcp_refuses_to_start_without_a_valid_key(tmp_path: Path):
    database = f"sqlite:///{tmp_path / 'memnn.db'}"
    with pytest.raises(ValueError, match="MEMNN_API_KEY is not set"):
        stdio.serve(Settings(database_url=database))
    with pytest.raises(ValueError, match="MEMNN_API_KEY: unknown or revoked API key"):
        stdio.serve(Settings(database_url=database, api_key="mk_not-a-key"))


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
