"""schemathesis against a real server's own OpenAPI document, every check on (as a user would run it
from the repository: `schemathesis run URL --checks all`, reading schemathesis.toml): no 5xx, every
response as documented, every request the document allows accepted and every other refused."""

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app.store import keys
from app.store.database import make_engine, migrate, session_factory

from ..conftest import MILK_STORY
from ..server import serving

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_PER_OPERATION = 12


@pytest.mark.slow
def test_every_operation_answers_as_its_document_says(database_url):
    migrate(database_url)
    engine = make_engine(database_url)
    with session_factory(engine).begin() as session:
        key = keys.create_key(session, "fuzz", "write", ["*"])
    engine.dispose()
    with serving(database_url, MEMNN_AUTH_DISABLED="false") as base:
        added = httpx.post(
            f"{base}/memories", json={"statements": MILK_STORY}, headers={"Authorization": f"Bearer {key}"}
        )
        assert added.status_code == 201
        command = [sys.executable, "-m", "schemathesis.cli", "run", f"{base}/openapi.json", "--checks", "all"]
        command += ["--max-examples", str(EXAMPLES_PER_OPERATION), "--seed", "1", "-H", f"Authorization: Bearer {key}"]
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "15/15" in run.stdout
