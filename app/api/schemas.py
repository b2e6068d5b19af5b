"""The public contract: request and response models, with the descriptions the docs page shows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    field_validator,
    model_validator,
)

from ..memnn.model import MAX_HOPS
from ..store.tables import MAX_POSITION, MAX_VERSION


def _iso_time(value: Any) -> Any:
    """A time comes as ISO-8601 text (or, inside the service, a datetime): neither a number nor a
    number's text ("1700000000") is read as a Unix time."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("give a time as ISO-8601 text such as 2026-11-25T10:00:00Z")


IsoTime = Annotated[datetime, BeforeValidator(_iso_time)]


def _whole(value: Any) -> Any:
    """A JSON integer, or a number with no fraction (JSON Schema's integers): not a string or a boolean."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("give a whole number")
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole)]
HopCount = Annotated[int, Ge(1), Le(MAX_HOPS), BeforeValidator(_whole)]
BANK_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
BankName = Annotated[
    StrictStr,
    Field(
        min_length=1,
        max_length=64,
        pattern=BANK_PATTERN,
        description="Bank: one independent memory (a story, a user, a tenant). Letters, digits, `.`, `_`, `-`; "
        "1 to 64 characters, starting with a letter or digit.",
        examples=["b1"],
    ),
]
MILK_STORY: list[Any] = ["Joe went to the kitchen.", "Fred went to the kitchen.", "Joe picked up the milk.",
              "Joe travelled to the office.", "Joe left the milk.", "Joe went to the bathroom."]  # fmt: skip


class FieldError(BaseModel):
    field: str = Field(description="Where the problem is, e.g. `statements[2]` or `k`.")
    message: str


class ErrorResponse(BaseModel):
    detail: str = Field(description="What went wrong and how to fix it.")
    errors: list[FieldError] = Field(default_factory=list, description="One entry per invalid field.")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"detail": "bank 'b9' does not exist: add a memory to it first", "errors": []}]}
    )


class MemoriesIn(BaseModel):
    """Statements to remember: a list, or a paragraph the service splits into sentences."""

    bank: BankName = "default"
    statements: list[StrictStr] | None = Field(
        None, description="Statements, stored verbatim, one memory each, in this order.", examples=[MILK_STORY]
    )
    text: StrictStr | None = Field(
        None,
        description="A paragraph split into sentences at `.`, `!` or `?`; give this or `statements`, not both.",
        examples=["Joe went to the kitchen. Fred went to the kitchen."],
    )
    metadata: dict[str, Any] | None = Field(
        None, description="A JSON object kept with every memory of this request and returned as sent."
    )

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"bank": "b1", "statements": MILK_STORY}]}
    )

    @field_validator("statements", "text", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null: leave the field out")
        return value

    @model_validator(mode="after")
    def one_source(self) -> MemoriesIn:
        if (self.statements is None) == (self.text is None):
            raise ValueError("give exactly one of `statements` (a list) or `text` (a paragraph)")
        return self


class MemoryOut(BaseModel):
    id: int = Field(description="Stable id of the memory.")
    bank: str
    position: int = Field(description="Write position in the bank (0 = first written); never reused.")
    text: str = Field(description="The statement exactly as sent.")
    metadata: dict[str, Any] | None = None
    created_at: datetime = Field(description="When it was stored, UTC.")
    version: int = Field(1, description="1, plus one per correction (PATCH).")
    updated_at: datetime | None = Field(None, description="When it was last corrected, UTC; null if never.")


class FilterIn(BaseModel):
    """Which memories to consider: every condition must hold."""

    metadata: dict[str, StrictStr] | None = Field(
        None,
        description="Metadata equality: each key must hold exactly this string. Keys: letters, digits, `_`, `-`; "
        "at least one key (leave `metadata` out to match every memory).",
        examples=[{"source": "chat"}],
        min_length=1,
    )
    created_after: IsoTime | None = Field(
        None, description="Only memories stored strictly after this UTC ISO-8601 time (no zone means UTC)."
    )
    created_before: IsoTime | None = Field(None, description="Only memories stored strictly before this time.")

    model_config = ConfigDict(extra="forbid")

    @field_validator("metadata", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null: leave `metadata` out to match every memory")
        return value


class CorrectionIn(BaseModel):
    """A correction: new text and/or new metadata. The memory keeps its position and its id;
    the previous version is kept in its history. A new event is a new POST, not a PATCH."""

    text: StrictStr | None = Field(
        None, description="The corrected statement (never null).", examples=["Joe left the milk in the office."]
    )
    metadata: dict[str, Any] | None = Field(None, description="Replaces the metadata object (null removes it).")

    model_config = ConfigDict(extra="forbid")


class VersionOut(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an imported history entry holds these fields and no others

    version: WholeNumber = Field(ge=1, le=MAX_VERSION)
    text: StrictStr
    metadata: dict[str, Any] | None
    recorded_at: IsoTime = Field(description="When this version was written, UTC.")


class HistoryOut(BaseModel):
    id: int
    bank: str
    versions: list[VersionOut] = Field(description="Oldest first; the last is the current version.")


class DeletedCount(BaseModel):
    bank: str
    deleted: int = Field(description="Memories deleted.")


class ImportResult(BaseModel):
    bank: str
    imported: int


class MemoriesCreated(BaseModel):
    bank: str
    memories: list[MemoryOut] = Field(description="Every stored row, in write order: nothing is dropped.")


class MemoryPage(BaseModel):
    bank: str
    memories: list[MemoryOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
    total: int = Field(description="Memories in the bank.")


class AskIn(BaseModel):
    bank: BankName = "default"
    question: StrictStr = Field(
        min_length=1, description="A question about the bank's memories.", examples=["Where is the milk now?"]
    )
    k: HopCount | None = Field(
        None,
        description="Most supporting memories (hops) to use. Omitted: the model's learned STOP decides "
        f"(1 to {MAX_HOPS}).",
        examples=[2],
    )
    explain: StrictBool = Field(
        False, description="Also return, for every hop, its best candidate memories with their scores and STOP's."
    )
    filter: FilterIn | None = Field(
        None, description="Answer only from the memories that match (O never looks at the others)."
    )

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"bank": "b1", "question": "Where is the milk now?", "k": 2}]}
    )


class Alternative(BaseModel):
    answer: str
    score: float = Field(description="s_R of this answer word.")


class MemoryRef(BaseModel):
    """A memory named in an answer: its id, what it says and its write position."""

    id: int
    text: str
    position: int


class EvidenceOut(MemoryRef):
    hop: int = Field(description="Hop that picked the memory: 1 = from the question alone, 2 = given hop 1, ...")
    score: float = Field(description="s_O of the memory at its hop.")


class CandidateOut(MemoryRef):
    score: float = Field(description="s_O of the memory at this hop, given the hops before it.")
    chosen: bool = Field(description="Whether this hop picked it.")


class HopOut(BaseModel):
    hop: int
    candidates: list[CandidateOut] = Field(description="The hop's best memories, best first.")
    stop_score: float = Field(description="s_O of STOP at this hop: the hop stops O when STOP scores highest.")


class ModelRef(BaseModel):
    name: str
    version: str = Field(description="Content hash of the checkpoint.")


class AskOut(BaseModel):
    answer: str
    score: float = Field(description="s_R of the answer.")
    alternatives: list[Alternative] = Field(description="The next best answers, best first.")
    evidence: list[EvidenceOut] = Field(description="The supporting memories, in hop order.")
    model: ModelRef
    hops: list[HopOut] | None = Field(
        None, description="Only with `explain: true`: what O weighed at each hop (top 5 memories and STOP)."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "answer": "office",
                    "score": 11.2,
                    "alternatives": [{"answer": "kitchen", "score": 3.1}],
                    "evidence": [
                        {"id": 5, "text": "Joe left the milk.", "position": 4, "hop": 1, "score": 9.4},
                        {"id": 4, "text": "Joe travelled to the office.", "position": 3, "hop": 2, "score": 7.7},
                    ],
                    "model": {"name": "memnn-world-en", "version": "3f2a9c0b1d4e"},
                }
            ]
        }
    )


class BankOut(BaseModel):
    name: str
    memories: int
    created_at: datetime


class BanksOut(BaseModel):
    banks: list[BankOut]


class BankDeleted(BaseModel):
    bank: str
    deleted: int = Field(description="Memories deleted with the bank.")


class ModelInfo(BaseModel):
    name: str
    version: str
    vocabulary_size: int
    max_hops: int
    embedding_dim: int
    training: dict[str, Any] = Field(description="Tasks, data, epochs and timing of the training run.")
    test_accuracy: dict[str, Any] | None = Field(
        description="Per-task bAbI test accuracy recorded by `memnn eval --record`."
    )


class Health(BaseModel):
    status: str = "ok"


class Readiness(BaseModel):
    status: str = Field(description="`ready` when the database answers and takes a write.")
    database: bool = Field(description="A query reached the database.")
    writable: bool = Field(description="A write to the database committed (a full disk or a read-only file fails).")


class ExportLine(BaseModel):
    """One line of `GET /banks/{bank}/export` and of `POST /banks/{bank}/import` (JSON Lines)."""

    position: WholeNumber = Field(ge=0, le=MAX_POSITION)
    text: StrictStr
    metadata: dict[str, Any] | None = None
    created_at: IsoTime
    version: WholeNumber = Field(1, ge=1, le=MAX_VERSION)
    updated_at: IsoTime | None = None
    history: list[VersionOut] = Field(default_factory=list, description="Earlier versions, oldest first.")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "position": 4,
                    "text": "Joe left the milk there.",
                    "metadata": {"source": "chat"},
                    "created_at": "2026-11-25T22:50:00Z",
                    "version": 2,
                    "updated_at": "2026-11-26T08:00:00Z",
                    "history": [
                        {
                            "version": 1,
                            "text": "Joe left the milk.",
                            "metadata": None,
                            "recorded_at": "2026-11-25T22:50:00Z",
                        }
                    ],
                }
            ]
        },
    )
