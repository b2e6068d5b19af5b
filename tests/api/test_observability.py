"""GET /metrics, the request id and the one log line per request."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.main import create_app
from app.memnn import checkpoint as checkpoints
from app.settings import Settings
from app.store import keys
from app.store.database import session_factory

from ..server import free_port

SECRET_BANK = "tenant-zeta-7"
SECRET_STATEMENT = "Quentin carried the xylophone to the planetarium."


@pytest.fixture
def keyed(tmp_path: Path, shipped_checkpoint: checkpoints.Checkpoint) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The app with API keys on, and the headers of a key that may write every bank."""
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'memnn.db'}", snapshot_dir=None), shipped_checkpoint)
    with session_factory(app.state.engine).begin() as session:
        key = keys.create_key(session, "writer", "write", ["*"])
    with TestClient(app) as client:
        yield client, {"Authorization": f"Bearer {key}"}
    app.state.engine.dispose()


def test_metrics_count_requests_by_route_and_status_and_leak_nothing(keyed):
    client, auth = keyed
    written = client.post("/memories", json={"bank": SECRET_BANK, "statements": [SECRET_STATEMENT]}, headers=auth)
    memory_id = written.json()["memories"][0]["id"]
    assert client.get(f"/memories/{memory_id}", headers=auth).status_code == 200
    assert client.get(f"/memories/{memory_id + 1}/history", headers=auth).status_code == 404
    assert client.post("/ask", json={"bank": SECRET_BANK, "question": "Where is Quentin?"}, headers=auth).is_success
    invalid = client.post("/memories", json={"bank": SECRET_BANK, "statements": "one"}, headers=auth)
    assert invalid.status_code == 422
    assert client.post("/memories", content=b"{" * 2_000_000, headers=auth).status_code == 413
    assert client.get(f"/{SECRET_BANK}/{memory_id}").status_code == 404
    assert client.get("/banks").status_code == 401

    scraped = client.get("/metrics")  # no key
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    families = {family.name: family for family in text_string_to_metric_families(scraped.text)}
    counted = {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for s in families["memnn_http_requests"].samples
        if s.name == "memnn_http_requests_total"
    }
    assert counted == {
        ("POST", "/memories", "201"): 1,
        ("GET", "/memories/{memory_id}", "200"): 1,
        ("GET", "/memories/{memory_id}/history", "404"): 1,
        ("POST", "/ask", "200"): 1,
        ("POST", "/memories", "422"): 1,  # sent above, and shown
        ("POST", "/memories", "413"): 1,  # refused by the body limit, before any route ran
        ("GET", "unmatched", "404"): 1,
        ("GET", "/banks", "401"): 1,
    }
    timed = {
        (s.labels["method"], s.labels["route"]): s.value
        for s in families["memnn_http_request_duration_seconds"].samples
        if s.name.endswith("_count")
    }
    assert timed == {
        ("POST", "/memories"): 3,
        ("GET", "/memories/{memory_id}"): 1,
        ("GET", "/memories/{memory_id}/history"): 1,
        ("POST", "/ask"): 1,
    }
    service = client.app.state.service
    (matrix,) = [matrix for _, matrix in service.cache.items()]
    assert _value(families, "memnn_banks_held") == 1
    assert _value(families, "memnn_cache_bytes") == matrix.nbytes() > 0
    assert _value(families, "memnn_cache_evictions") == 0
    (model,) = families["memnn_model_info"].samples
    assert model.labels == {"name": service.checkpoint.name, "version": service.model_version}

    for private in (SECRET_BANK, str(memory_id), *re.findall(r"[A-Za-z]{5,}", SECRET_STATEMENT), auth["Authorization"]):
        assert private not in scraped.text, private


def test_banks_held_and_their_bytes_follow_the_cache(client):
    def scrape() -> tuple[float, float]:
        families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}
        return _value(families, "memnn_banks_held"), _value(families, "memnn_cache_bytes")

    assert scrape() == (0, 0)
    for bank in ("one", "two"):
        client.post("/memories", json={"bank": bank, "statements": ["Joe went to the kitchen."]})
        client.post("/ask", json={"bank": bank, "question": "Where is Joe?"})
    held, held_bytes = scrape()
    assert held == 2 and held_bytes == sum(m.nbytes() for _, m in client.app.state.service.cache.items())
    client.delete("/banks/one")
    assert scrape()[0] == 1


def test_metrics_show_the_cache_budget_and_its_evictions(settings, shipped_checkpoint):
    """A 1 MB cache and banks of 60 statements (some 50 KB each): questions to 30 banks evict the least
    recently asked, and /metrics says so."""
    app = create_app(settings.model_copy(update={"cache_mb": 1}), shipped_checkpoint)
    with TestClient(app) as client:
        statements = [f"Person{j} went to the room{j}." for j in range(60)]
        for i in range(30):
            bank = f"tenant-{i}"
            client.post("/memories", json={"bank": bank, "statements": statements})
            assert client.post("/ask", json={"bank": bank, "question": "Where is Person7?"}).json()["answer"] == "room7"
        families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}
        use = app.state.service.cache.use()
    app.state.engine.dispose()
    assert _value(families, "memnn_cache_budget_bytes") == 2**20
    assert 0 < _value(families, "memnn_cache_bytes") == use.nbytes <= 2**20
    assert 0 < _value(families, "memnn_banks_held") == use.banks < 30
    assert _value(families, "memnn_cache_evictions") == 30 - use.banks


def test_a_request_id_is_kept_or_made_and_sent_back(client, caplog):
    caplog.set_level(logging.INFO, logger="memnn.access")
    kept = client.get("/healthz", headers={"X-Request-ID": "trace-42/a"})
    made = [client.get("/healthz").headers["x-request-id"] for _ in range(2)]
    unsafe = client.get("/healthz", headers={"X-Request-ID": "two words"}).headers["x-request-id"]
    too_long = client.get("/healthz", headers={"X-Request-ID": "x" * 201}).headers["x-request-id"]
    refused = client.post("/ask", json={"bank": "b1"}, headers={"X-Request-ID": "trace-43"})
    assert kept.headers["x-request-id"] == "trace-42/a" and refused.headers["x-request-id"] == "trace-43"
    assert made[0] != made[1] and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in [*made, unsafe, too_long])

    lines = [json.loads(record.getMessage()) for record in caplog.records if record.name == "memnn.access"]
    assert [line["request_id"] for line in lines] == ["trace-42/a", *made, unsafe, too_long, "trace-43"]
    assert set(lines[-1]) == {"time", "method", "route", "status", "duration_ms", "request_id"}
    assert (lines[-1]["method"], lines[-1]["route"], lines[-1]["status"]) == ("POST", "/ask", 422)
    assert lines[-1]["duration_ms"] > 0


def test_an_unexpected_error_is_logged_counted_and_names_its_request(client, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    client.app.state.service.banks = broken
    caplog.set_level(logging.INFO, logger="memnn")
    with TestClient(client.app, raise_server_exceptions=False) as fresh:
        response = fresh.get("/banks", headers={"X-Request-ID": "bug-1"})
        scraped = fresh.get("/metrics").text
    assert response.status_code == 500 and response.headers["x-request-id"] == "bug-1"
    assert 'memnn_http_requests_total{method="GET",route="/banks",status="500"} 1.0' in scraped
    (line,) = [
        json.loads(r.getMessage()) for r in caplog.records if r.name == "memnn.access" and "bug-1" in r.getMessage()
    ]
    assert line["status"] == 500
    assert any("request bug-1" in r.getMessage() and r.exc_info for r in caplog.records if r.name == "memnn")


@pytest.mark.slow
def test_memnn_serve_writes_one_json_line_per_request(tmp_path):
    """The real command: uvicorn's own access line is off and ours is on stdout, one per request."""
    port = free_port()
    env = dict(os.environ, MEMNN_DATABASE_URL=f"sqlite:///{tmp_path / 'memnn.db'}", MEMNN_AUTH_DISABLED="true")
    stdout, stderr = (tmp_path / "stdout").open("w+"), (tmp_path / "stderr").open("w+")
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env | {"MEMNN_SNAPSHOT_DIR": ""}, stdout=stdout, stderr=stderr)
    try:
        _wait_until_ready(f"http://127.0.0.1:{port}")
        httpx.post(f"http://127.0.0.1:{port}/memories", json={"statements": 3}, headers={"X-Request-ID": "served-1"})
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    lines = [json.loads(line) for line in (tmp_path / "stdout").read_text().splitlines()]  # uvicorn's would not parse
    assert [line["route"] for line in lines if line["request_id"] == "served-1"] == ["/memories"]
    assert all(line["route"] == "/readyz" for line in lines if line["request_id"] != "served-1")
    assert "API KEYS ARE OFF" in (tmp_path / "stderr").read_text()  # the service's own messages still show


def _wait_until_ready(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("memnn serve did not become ready in 60 s")


def _value(families: dict, name: str) -> float:
    (sample,) = [s for s in families[name].samples if not s.name.endswith("_created")]
    return float(sample.value)
