"""Bodies over the limit get 413 however they are sent, and a body that stops arriving gets 408
and a closed connection after MEMNN_BODY_TIMEOUT_SECONDS (real servers, raw sockets)."""

import json
import time

import pytest

from ..server import exchange, serving

LIMIT = 2_000


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


@pytest.mark.slow
def test_limits_hold_for_streamed_bodies_and_stalled_ones(tmp_path):
    url = f"sqlite:///{tmp_path / 'memnn.db'}"
    settings = {"MEMNN_MAX_BODY_BYTES": str(LIMIT), "MEMNN_BODY_TIMEOUT_SECONDS": "1"}
    with serving(url, **settings) as base:
        port = int(base.rsplit(":", 1)[1])
        body = json.dumps({"bank": "b1", "statements": ["Joe went home. " * 20] * 20}).encode()
        assert len(body) > LIMIT
        head = b"POST /memories HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        head += b"Transfer-Encoding: chunked\r\n\r\n"  # no Content-Length: the limit must count what arrives
        pieces = [body[i : i + 500] for i in range(0, len(body), 500)]
        chunked = [b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces] + [b"0\r\n\r\n"]
        streamed = exchange(port, head, chunked)
        assert _status(streamed) == 413 and b"MEMNN_MAX_BODY_BYTES" in streamed

        started = time.monotonic()
        short = exchange(port, b"POST /memories HTTP/1.1\r\nHost: x\r\nContent-Length: 999\r\n\r\n", [b"{}"])
        waited = time.monotonic() - started
        assert _status(short) == 408 and b"MEMNN_BODY_TIMEOUT_SECONDS" in short
        assert not short.endswith(b"<still open>")  # answered, then closed
        assert 0.9 < waited < 8
        fine = exchange(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", [])
        assert _status(fine) == 200
