"""When the database fails, every request gets 503 JSON with Retry-After, /readyz says not ready,
nothing acknowledged is lost, and the service recovers without a restart."""

import subprocess
import sys
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.main import create_app
from app.settings import Settings
from app.store.database import migrate

from ..conftest import MILK_STORY, POSTGRES_ADMIN_URL


def _unavailable(response):
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert int(response.headers["retry-after"]) > 0
    assert "database" in response.json()["detail"]


def test_a_read_only_sqlite_file_serves_reads_refuses_writes_with_503_and_is_not_ready(tmp_path, shipped_checkpoint):
    path = tmp_path / "memnn.db"
    writable = create_app(Settings(database_url=f"sqlite:///{path}", auth_disabled=True), shipped_checkpoint)
    with TestClient(writable) as client:
        stored = client.post("/memories", json={"bank": "b1", "statements": MILK_STORY}).json()["memories"]
        assert client.get("/readyz").json()["writable"] is True
    writable.state.engine.dispose()

    read_only = Settings(database_url=f"sqlite:///file:{path}?mode=ro&uri=true", auth_disabled=True)
    app = create_app(read_only.model_copy(update={"migrate_on_start": False}), shipped_checkpoint)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/memories", params={"bank": "b1"}).json()["total"] == len(MILK_STORY)
        assert client.post("/ask", json={"bank": "b1", "question": "Where is the milk?"}).json()["answer"] == "office"
        _unavailable(client.post("/memories", json={"bank": "b1", "statements": ["Joe went home."]}))
        _unavailable(client.patch(f"/memories/{stored[0]['id']}", json={"text": "Joe went out."}))
        _unavailable(client.delete(f"/memories/{stored[0]['id']}"))
        _unavailable(client.delete("/banks/b1"))
        line = b'{"position": 0, "text": "Joe went home.", "created_at": "2026-01-01T00:00:00Z"}\n'
        _unavailable(client.post("/banks/new/import", content=line, headers={"content-type": "application/x-ndjson"}))
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json() == {"status": "not ready", "database": True, "writable": False}
        assert client.get("/memories", params={"bank": "b1"}).json()["memories"] == stored
    app.state.engine.dispose()


@pytest.fixture
def own_postgres_database():
    """A database of this test's own, so that it can be made unreachable without touching the others."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"memnn_outage_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def reachable(allowed: bool) -> None:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
            if not allowed:
                connection.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                    {"name": name},
                )

    yield url, reachable
    reachable(True)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_postgresql_outage_is_503_json_and_the_service_recovers(own_postgres_database, shipped_checkpoint):
    url, reachable = own_postgres_database
    migrate(url)
    app = create_app(Settings(database_url=url, auth_disabled=True), shipped_checkpoint)
    with TestClient(app, raise_server_exceptions=False) as client:
        before = client.post("/memories", json={"bank": "b1", "statements": MILK_STORY}).json()["memories"]
        reachable(False)
        _unavailable(client.post("/memories", json={"bank": "b1", "statements": ["Joe went home."]}))
        _unavailable(client.get("/memories", params={"bank": "b1"}))
        _unavailable(client.post("/ask", json={"bank": "b1", "question": "Where is the milk?"}))
        _unavailable(client.get("/banks"))
        assert client.get("/readyz").json() == {"status": "not ready", "database": False, "writable": False}
        reachable(True)
        assert client.get("/readyz").status_code == 200
        assert client.get("/memories", params={"bank": "b1"}).json()["memories"] == before
        assert client.post("/memories", json={"bank": "b1", "statements": ["Joe went home."]}).status_code == 201
    app.state.engine.dispose()


def test_an_unexpected_error_is_500_json(client):
    client.post("/memories", json={"bank": "b1", "statements": ["Joe went home."]})
    service = client.app.state.service

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    service.page = broken  # the one test double here: no real component fails on purpose like a bug does
    with TestClient(client.app, raise_server_exceptions=False) as fresh:
        response = fresh.get("/memories", params={"bank": "b1"})
    assert response.status_code == 500 and response.json() == {
        "detail": "internal error: the server logged it",
        "errors": [],
    }


@pytest.fixture
def remountable(tmp_path):
    """A small file system of the test's own that can be made read-only and writable again."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(folder)], capture_output=True).returncode:
        pytest.skip("this machine does not let the tests mount a file system (it needs root)")

    def writable(allowed: bool) -> None:
        mode = "rw" if allowed else "ro"
        subprocess.run(["mount", "-o", f"remount,{mode}", str(folder)], check=True, capture_output=True)

    yield folder, writable
    subprocess.run(["umount", "--lazy", str(folder)], check=False, capture_output=True)


def test_a_sqlite_disk_made_writable_again_is_written_without_a_restart(remountable, shipped_checkpoint):
    folder, writable = remountable
    url = f"sqlite:///{folder / 'memnn.db'}"
    migrate(url)
    # a process that dies with the database open leaves its -wal and -shm files, which a read-only disk
    # needs to be read at all
    dies_open = f"c = sqlite3.connect({str(folder / 'memnn.db')!r}); c.execute('PRAGMA user_version=0'); c.commit()"
    subprocess.run([sys.executable, "-c", f"import os, sqlite3; {dies_open}; os._exit(0)"], check=True)
    writable(False)
    app = create_app(Settings(database_url=url, auth_disabled=True, migrate_on_start=False), shipped_checkpoint)
    with TestClient(app, raise_server_exceptions=False) as client:
        _unavailable(client.post("/memories", json={"bank": "b1", "statements": ["Joe went home."]}))
        assert client.get("/readyz").status_code == 503
        writable(True)
        assert client.post("/memories", json={"bank": "b1", "statements": ["Joe went home."]}).status_code == 201
        assert client.get("/readyz").json()["writable"] is True
    app.state.engine.dispose()
