"""The one settings object: every knob is a ``MEMNN_`` environment variable."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE.parent
# The checkpoints: models/ of a checkout, or the copy an installed package ships as app/checkpoints/ (setup.py).
CHECKPOINTS = PACKAGE / "checkpoints" if (PACKAGE / "checkpoints").is_dir() else PROJECT_ROOT / "models"
DEFAULT_MODEL = CHECKPOINTS / "memnn-world-en.pt"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEMNN_", env_file=None, extra="ignore")

    database_url: str = Field("sqlite:///memnn.db", description="SQLAlchemy URL of the memory store.")
    model_path: Path = Field(DEFAULT_MODEL, description="Checkpoint the service answers with.")
    babi_dir: Path = Field(PROJECT_ROOT.parent / "shared" / "babi", description="bAbI v1.2 root (en/, en-10k/).")
    host: str = Field("127.0.0.1", description="Address `memnn serve` binds.")
    port: int = Field(8000, description="Port `memnn serve` binds.")
    api_key: SecretStr | None = Field(
        None,
        description="The API key `memnn mcp` acts with (its banks and scope, as over REST), from `memnn keys create`.",
    )
    auth_disabled: bool = Field(
        False, description="Serve without API keys: local development only; the server warns loudly at start."
    )
    migrate_on_start: bool = Field(True, description="Run Alembic migrations when the server starts.")
    max_body_bytes: int = Field(
        1_000_000, description="Largest request body; larger bodies get 413 (an import has its own limits, below)."
    )
    body_timeout_seconds: float = Field(
        30.0,
        gt=0,
        description="Seconds a request body may go without a byte arriving (a Content-Length larger than the body "
        "sent, a stalled client): then 408 and the connection is closed.",
    )
    max_statement_chars: int = Field(1_000, description="Longest statement, in characters.")
    max_text_chars: int = Field(100_000, description="Longest `text` paragraph of POST /memories, in characters.")
    max_statements_per_request: int = Field(1_000, description="Most statements in one POST /memories.")
    max_question_chars: int = Field(1_000, description="Longest question, in characters.")
    max_metadata_bytes: int = Field(16_384, description="Largest `metadata` object, as JSON bytes.")
    max_list_limit: int = Field(500, description="Largest `limit` of GET /memories.")
    max_import_line_bytes: int = Field(
        1_000_000,
        ge=1,
        description="Longest line of POST /banks/{bank}/import (one memory with its history), in bytes; a longer "
        "line gets 413. An import's body is read a line at a time, so MEMNN_MAX_BODY_BYTES does not bound it.",
    )
    max_import_statements: int = Field(
        2_000_000,
        ge=1,
        description="Most memories (lines) in one import, over HTTP or `memnn bank import`; one more gets 413.",
    )
    idempotency_hours: int = Field(24, description="How long an Idempotency-Key of POST /memories is kept.")
    snapshot_dir: Path | None = Field(
        Path("memnn-snapshots"),
        description="Where a server saves the matrices of its large banks when it shuts down, so a restart "
        "loads them in a second instead of rebuilding them from the database. Empty: never.",
    )
    snapshot_min_rows: int = Field(100_000, description="Banks smaller than this are never saved as snapshots.")
    cache_mb: int = Field(
        1024,
        ge=1,
        description="Megabytes (2^20 bytes) the bank matrices of one server process may hold together: past it the "
        "least recently asked bank's matrix is dropped, and rebuilt from the database at its next question. A "
        "bank of 1,000,000 statements takes about 700 MB; one larger than the whole budget is built for each "
        "question and not kept.",
    )
    word_hashing: bool = Field(
        False,
        description="O scores only memories sharing a word with the question or a previous fact, and the newest "
        "(the paper's hashing by words): faster on very large banks, approximate. Off: the exact scan.",
    )

    torch_threads: int = Field(
        1,
        ge=1,
        description="Threads each torch operation of the server may use. A question is many small operations "
        "and requests already run side by side, so handing each operation to a thread pool only adds latency.",
    )

    @property
    def cache_bytes(self) -> int:
        return self.cache_mb * 2**20

    @field_validator("snapshot_dir", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value


def settings_problem(error: ValidationError) -> str:
    """A settings error as the variables that caused it, what each got and what it takes."""
    return "; ".join(
        f"MEMNN_{'_'.join(str(part) for part in problem['loc']).upper()}={problem['input']!r}: {problem['msg']}"
        for problem in error.errors()
    )
