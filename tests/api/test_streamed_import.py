"""An import streams its body a line at a time under its own limits, not the body limit: larger than
MEMNN_MAX_BODY_BYTES it loads, a bad line is a 4xx naming it and leaves nothing, a stall is a 408,
and memory stays bounded, whatever the body's size (real servers and sockets, the app over ASGI)."""

import asyncio
import json
import socket
import tracemalloc
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from app.api.errors import InputError
from app.api.json_lines import arriving_lines
from app.api.schemas import ExportLine
from app.main import create_app
from app.settings import Settings

from ..server import exchange, serving

LINES = {"content-type": "application/x-ndjson"}
CREATED = "2026-11-25T10:00:00Z"


def _line(position: int) -> dict:
    """A memory as an export writes it; every tenth corrected once, with metadata."""
    line = {"position": position, "text": f"Person{position} went to the kitchen.", "metadata": None}
    line |= {"created_at": CREATED, "version": 1, "updated_at": None, "history": []}
    if position % 10 == 0:
        earlier = {"version": 1, "text": f"Person{position} went home.", "metadata": None, "recorded_at": CREATED}
        line |= {"version": 2, "updated_at": "2026-11-26T08:00:00Z", "history": [earlier]}
        line["metadata"] = {"source": "chat é 🥛", "n": position}
    return line


def _body(lines: list[dict]) -> bytes:
    return b"".join(json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for line in lines)


def _import(client, bank: str, body: bytes):
    return client.post(f"/banks/{bank}/import", content=body, headers=LINES)


def _banks(client) -> list[str]:
    return [b["name"] for b in client.get("/banks").json()["banks"]]


def _refused(response, status: int, *words: str) -> str:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert all(word in detail for word in words), detail
    return detail


def _response(connection: socket.socket) -> tuple[int, bytes]:
    """One HTTP/1.1 response read off a raw connection: (status, body)."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += connection.recv(65536) or b"<closed>"
        assert not received.endswith(b"<closed>"), received
    head, body = received.split(b"\r\n\r\n", 1)
    length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))[15:])
    while len(body) < length:
        body += connection.recv(65536)
    return int(head.split(b" ", 2)[1]), body


@pytest.mark.slow
def test_an_import_larger_than_the_body_limit_streams_in_over_http(database_url):
    lines = [_line(position) for position in range(3_000)]
    body = _body(lines)
    limits = {"MEMNN_MAX_BODY_BYTES": "50000", "MEMNN_BODY_TIMEOUT_SECONDS": "1"}
    assert len(body) > 5 * 50_000
    with serving(database_url, **limits) as base, httpx.Client(base_url=base, timeout=60) as client:
        pieces = (body[start : start + 7_000] for start in range(0, len(body), 7_000))  # chunked, no Content-Length
        loaded = client.post("/banks/moved/import", content=pieces, headers=LINES)
        assert loaded.status_code == 201, loaded.text
        assert loaded.json() == {"bank": "moved", "imported": 3_000}
        exported = client.get("/banks/moved/export")
        assert [json.loads(line) for line in exported.text.splitlines()] == lines
        assert client.get("/banks/moved/export").content == body  # byte for byte: the same lines out as in
        added = client.post("/memories", json={"bank": "moved", "statements": ["Person1 went to the office."]})
        assert added.json()["memories"][0]["position"] == 3_000
        answer = client.post("/ask", json={"bank": "moved", "question": "Where is Person7?"}).json()
        assert (answer["answer"], answer["evidence"][0]["position"]) == ("kitchen", 7), answer  # embedded here

        # every other route keeps the body limit
        too_large = client.post("/memories", json={"bank": "b", "statements": ["Joe went home."] * 5_000})
        _refused(too_large, 413, "MEMNN_MAX_BODY_BYTES")

        port = int(base.rsplit(":", 1)[1])
        head = b"POST /banks/stalled/import HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
        stalled = exchange(port, head + b"Content-Length: 100000\r\n\r\n", [_body(lines[:2])])
        assert stalled.startswith(b"HTTP/1.1 408") and b"MEMNN_BODY_TIMEOUT_SECONDS" in stalled, stalled
        assert not stalled.endswith(b"<still open>")  # answered, then closed
        assert _banks(client) == ["moved"]

        # a bad line early in a large body: the server reads and drops the rest, answers, and keeps the
        # connection open, so a client that sends its whole body before it reads sees the 422, not a reset
        many = [_line(position) for position in range(30_000)]
        bad = _body([*many[:4], {**many[4], "created_at": "yesterday"}, *many[5:]])
        assert len(bad) > 3_000_000
        with socket.create_connection(("127.0.0.1", port)) as connection:
            connection.settimeout(30)
            connection.sendall(head + b"Content-Length: %d\r\n\r\n" % len(bad) + bad)
            status, answer = _response(connection)
            assert status == 422 and "line 5: created_at" in json.loads(answer)["detail"], answer
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _response(connection)[0] == 200
        assert _banks(client) == ["moved"]


def test_a_bad_line_is_named_and_nothing_is_left(client):
    lines = [_line(position) for position in range(2_500)]  # three batches: two are written before line 2345
    broken = [*lines[:2_344], {**lines[2_344], "text": "Person went\u0000 home."}, *lines[2_345:]]
    _refused(_import(client, "b1", _body(broken)), 422, "line 2345: text", "NUL")
    repeated = [*lines[:1_699], {**lines[1_699], "position": 2}, *lines[1_700:]]  # line 3's, a batch back
    _refused(_import(client, "b1", _body(repeated)), 422, "line 1700: position", "position 2 appears twice")
    within = [*lines[:1_010], {**lines[1_010], "position": 1_005}, *lines[1_011:]]  # in the same batch
    _refused(_import(client, "b1", _body(within)), 422, "line 1011: position")
    truncated = _body(lines)[:-30]  # the last line cut short, as a dropped connection would leave it
    _refused(_import(client, "b1", truncated), 422, "line 2500")
    assert _banks(client) == []

    backwards = _body(lines[::-1])  # any order is fine, as long as each position comes once
    assert _import(client, "b1", backwards).json() == {"bank": "b1", "imported": 2_500}
    assert [json.loads(line) for line in client.get("/banks/b1/export").text.splitlines()] == lines
    added = client.post("/memories", json={"bank": "b1", "statements": ["Joe went out."]}).json()
    assert added["memories"][0]["position"] == 2_500  # the next write follows the highest position imported


def test_an_imports_own_limits_answer_413_naming_the_line(tmp_path, shipped_checkpoint):
    limits = {"max_import_statements": 5, "max_import_line_bytes": 400, "max_body_bytes": 600}
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'memnn.db'}", auth_disabled=True, **limits)
    app = create_app(settings, shipped_checkpoint)
    lines = [_line(position) for position in range(1, 7)]  # none corrected: each under 400 bytes
    with TestClient(app) as client:
        _refused(_import(client, "b1", _body(lines)), 413, "line 6", "more than 5", "MEMNN_MAX_IMPORT_STATEMENTS")
        long = [lines[0], lines[1], {**lines[2], "metadata": {"note": "x" * 400}}]
        _refused(_import(client, "b1", _body(long)), 413, "line 3", "over 400 bytes", "MEMNN_MAX_IMPORT_LINE_BYTES")
        assert _banks(client) == []
        five = _body(lines[:5])
        assert len(five) > 600  # over the body limit, under the import's own
        assert _import(client, "b1", five).json() == {"bank": "b1", "imported": 5}
    app.state.engine.dispose()


def test_a_long_line_is_refused_once_it_passes_the_limit_never_held_whole():
    sent = 0

    def endless() -> Iterator[bytes]:  # a line of 5 MB, sent a kilobyte at a time
        nonlocal sent
        yield b'{"position": 0, "text": "'
        while sent < 5_000:
            sent += 1
            yield b"x" * 1_000
        yield b'", "created_at": "2026-11-25T10:00:00Z"}\n'

    with pytest.raises(InputError) as refused:
        list(arriving_lines(endless(), 100_000))
    assert refused.value.status == 413 and refused.value.field == "line 1"
    assert sent <= 101  # stopped as the limit passed, not at the end of a line that never ends


@pytest.mark.slow
def test_importing_holds_memory_bounded_whatever_the_body(tmp_path, shipped_checkpoint):
    """The whole app (body limit, route, checks, writes) driven over ASGI with bodies generated as they
    are sent: what an import adds to tracemalloc's peak is a batch's worth, the same for a body of
    0.8 MB and of 10 MB, and below the larger one, which is never held whole."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'memnn.db'}", auth_disabled=True)
    app = create_app(settings, shipped_checkpoint)

    async def body(lines: int) -> AsyncIterator[bytes]:
        for start in range(0, lines, 100):
            yield _body([_line(position) for position in range(start, min(start + 100, lines))])

    async def peak_of_import(client: httpx.AsyncClient, bank: str, lines: int) -> int:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        loaded = await client.post(f"/banks/{bank}/import", content=body(lines), headers=LINES)
        _, peak = tracemalloc.get_traced_memory()
        assert loaded.json() == {"bank": bank, "imported": lines}, loaded.text
        return peak - before

    async def peaks() -> tuple[int, int]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://memnn") as client:
            await peak_of_import(client, "warm", 1_000)  # first calls fill caches that are not the import's
            for position in range(20_000):  # nor is pydantic-core's cache of the 16,384 short strings last parsed
                ExportLine.model_validate_json(_body([_line(position + 100_000)]))
            return await peak_of_import(client, "small", 5_000), await peak_of_import(client, "large", 60_000)

    tracemalloc.start()
    try:
        small, large = asyncio.run(peaks())
    finally:
        tracemalloc.stop()
    app.state.engine.dispose()
    size = sum(len(_body([_line(position)])) for position in range(60_000))
    assert size > 10_000_000
    assert large < 1.25 * small, (small, large)  # 12 times the lines, and no more memory than a batch's
    assert large < size / 2, (large, size)  # about 5 MB here, for 1,000 rows embedded and written at once
