"""Shared fixtures: the real SQLite file and the real PostgreSQL, the shipped checkpoint, an app."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.data import missing_babi
from app.main import create_app
from app.memnn import checkpoint as checkpoints
from app.settings import DEFAULT_MODEL, Settings

POSTGRES_ADMIN_URL = os.environ.get("MEMNN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BABI_DIR = Settings().babi_dir


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A throw-away database on the real PostgreSQL; the suite fails (never skips) without it."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"memnn_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every storage test runs twice: on a fresh SQLite file and on an emptied PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'memnn.db'}"
    return emptied(request.getfixturevalue("postgres_database"))


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """For tests that only PostgreSQL can serve (replicas on one database)."""
    return emptied(postgres_database)


def emptied(url: str) -> str:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def babi_dir() -> Path:
    """bAbI v1.2 (MEMNN_BABI_DIR): a test that reads it fails, saying how to get it, when it is missing."""
    if problem := missing_babi(BABI_DIR):
        pytest.fail(problem, pytrace=False)
    return BABI_DIR


@pytest.fixture(scope="session")
def shipped_checkpoint() -> checkpoints.Checkpoint:
    return checkpoints.load(DEFAULT_MODEL)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, auth_disabled=True)


@pytest.fixture
def client(settings: Settings, shipped_checkpoint: checkpoints.Checkpoint) -> Iterator[TestClient]:
    app = create_app(settings, shipped_checkpoint)
    with TestClient(app) as test_client:
        yield test_client
    app.state.engine.dispose()


MILK_STORY = [
    "Joe went to the kitchen.",
    "Fred went to the kitchen.",
    "Joe picked up the milk.",
    "Joe travelled to the office.",
    "Joe left the milk.",
    "Joe went to the bathroom.",
]
