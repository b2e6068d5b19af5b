"""The Python client against a real `memnn serve` process, on SQLite and PostgreSQL: the README's
session, every endpoint's typed answer, pagination, errors with the service's message, and retries
that never store a write twice."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.api import schemas
from app.client import (
    UNCHANGED,
    AsyncClient,
    Client,
    Conflict,
    ConnectionFailed,
    Forbidden,
    InvalidRequest,
    NotFound,
    Unauthorized,
    Unavailable,
)
from app.client import models as client_models
from app.memnn import checkpoint
from app.settings import DEFAULT_MODEL
from app.store import keys
from app.store.database import make_engine, migrate, session_factory

from ..conftest import MILK_STORY, emptied
from ..flaky_proxy import flaky
from ..server import free_port, serving

README = Path(__file__).resolve().parents[2] / "README.md"
pytestmark = pytest.mark.slow  # starts a server per database


@dataclass
class Served:
    url: str
    write_key: str  # every bank
    read_key: str  # reads bank "shared" only

    @property
    def port(self) -> int:
        return int(urlsplit(self.url).port or 0)

    def client(self) -> Client:
        return Client(self.url, self.write_key)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server per database for the whole module, with API keys on."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('client') / 'memnn.db'}"
    else:
        url = emptied(request.getfixturevalue("postgres_database"))
    migrate(url)
    engine = make_engine(url)
    with session_factory(engine).begin() as session:
        write_key = keys.create_key(session, "writer", "write", ["*"])
        read_key = keys.create_key(session, "reader", "read", ["shared"])
    engine.dispose()
    with serving(url, MEMNN_AUTH_DISABLED="false", MEMNN_SNAPSHOT_DIR="") as base:
        yield Served(base, write_key, read_key)


def test_the_readmes_python_session_runs_as_written(served: Served, monkeypatch, capsys):
    """The README's block, run against the server, prints what its comments say."""
    (block,) = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    monkeypatch.setenv("KEY", served.write_key)
    exec(block.replace("http://127.0.0.1:8000", served.url), {})
    expected = [line.split("# ", 1)[1] for line in block.splitlines() if line.startswith("print(")]
    assert capsys.readouterr().out.splitlines() == expected == ["office", str([(1, MILK_STORY[4]), (2, MILK_STORY[3])])]


def test_every_endpoint_answers_its_typed_model(served: Served):
    with served.client() as memnn:
        created = memnn.add_memories("every", text="Joe went to the kitchen. Joe picked up the milk.")
        assert [m.position for m in created.memories] == [0, 1] and created.bank == "every"
        tagged = memnn.add_memories("every", ["Fred went to the garden."], metadata={"source": "chat"})
        fred = tagged.memories[0]
        assert fred.metadata == {"source": "chat"} and isinstance(fred.created_at, datetime)

        page = memnn.list_memories("every", limit=2)
        assert [m.text for m in page.memories] == ["Joe went to the kitchen.", "Joe picked up the milk."]
        assert page.total == 3 and page.next_cursor is not None
        assert [m.id for m in memnn.list_memories("every", metadata={"source": "chat"}).memories] == [fred.id]
        assert memnn.get_memory(fred.id) == fred

        corrected = memnn.correct_memory(fred.id, text="Fred went to the office.")
        assert (corrected.text, corrected.version, corrected.metadata) == (
            "Fred went to the office.",
            2,
            {"source": "chat"},
        )
        assert memnn.correct_memory(fred.id, metadata=None).metadata is None
        assert memnn.correct_memory(fred.id, metadata=UNCHANGED, text="Fred went home.").version == 4
        history = memnn.memory_history(fred.id)
        assert [v.text for v in history.versions][:2] == ["Fred went to the garden.", "Fred went to the office."]

        explained = memnn.ask("every", "Where is the milk?", explain=True)
        assert explained.answer == "kitchen" and explained.hops and explained.hops[0].candidates
        filtered = memnn.ask("every", "Where is Fred?", created_after=datetime.now(UTC) - timedelta(hours=1))
        assert filtered.evidence

        exported = list(memnn.export_bank("every"))
        assert [line.text for line in exported] == [
            "Joe went to the kitchen.",
            "Joe picked up the milk.",
            "Fred went home.",
        ]
        assert len(exported[2].history) == 3
        assert memnn.import_bank("every-copy", exported).imported == 3
        assert [line.model_dump() for line in memnn.export_bank("every-copy")] == [e.model_dump() for e in exported]
        assert {"every", "every-copy"} <= {bank.name for bank in memnn.banks()}

        assert memnn.forget_memory(fred.id).id == fred.id
        assert memnn.delete_memories("every-copy", created_before=datetime.now(UTC)).deleted == 3
        assert memnn.delete_bank("every").deleted == 2

        assert memnn.model().name == checkpoint.load(DEFAULT_MODEL).name
        assert memnn.health().status == "ok"
        assert memnn.ready().status == "ready"
        families = {family.name for family in text_string_to_metric_families(memnn.metrics())}
        assert "memnn_http_requests" in families


def test_iter_memories_yields_every_row_across_pages(served: Served):
    statements = [f"Mary went to room {n}." for n in range(23)]
    with served.client() as memnn:
        memnn.add_memories("pages", statements[:13], metadata={"part": "one"})
        memnn.add_memories("pages", statements[13:], metadata={"part": "two"})
        every = list(memnn.iter_memories("pages", page_size=5))
        assert [m.text for m in every] == statements
        assert [m.position for m in memnn.iter_memories("pages", page_size=4, metadata={"part": "two"})] == list(
            range(13, 23)
        )
        with pytest.raises(NotFound, match="nothing-here"):
            next(memnn.iter_memories("nothing-here"))


def test_errors_carry_the_services_message(served: Served):
    with served.client() as memnn:
        with pytest.raises(InvalidRequest) as invalid:
            memnn.add_memories("errors", ["Joe went home."] * 2, metadata={"deep": "x" * 20000})
        assert invalid.value.status == 422 and invalid.value.fields == ["metadata"]
        assert "MEMNN_MAX_METADATA_BYTES" in invalid.value.detail and invalid.value.request_id
        with pytest.raises(InvalidRequest) as k_zero:
            memnn.ask("errors", "Where is Joe?", k=0)
        assert k_zero.value.fields == ["k"]
        with pytest.raises(NotFound, match="errors"):
            memnn.delete_bank("errors")
        memnn.add_memories("errors", ["Joe went home."], metadata={"source": "chat"})
        with pytest.raises(Conflict, match="matches the filters"):
            memnn.ask("errors", "Where is Joe?", metadata={"source": "mail"})
    with Client(served.url, "mk_not-a-key") as stranger, pytest.raises(Unauthorized, match="unknown or revoked"):
        stranger.banks()
    with Client(served.url, served.read_key) as reader:
        with pytest.raises(Forbidden, match="may not write bank 'shared'"):
            reader.add_memories("shared", ["Joe went home."])
        assert reader.banks() == []


def test_the_async_client_has_the_same_methods(served: Served):
    async def session() -> None:
        async with AsyncClient(served.url, served.write_key) as memnn:
            await memnn.add_memories("async-milk", MILK_STORY)
            answer = await memnn.ask("async-milk", "Where is the milk now?", k=2)
            assert answer.answer == "office" and [e.position for e in answer.evidence] == [4, 3]
            assert [m.text async for m in memnn.iter_memories("async-milk", page_size=4)] == MILK_STORY
            assert [line.position async for line in memnn.export_bank("async-milk")] == list(range(6))
            forgotten = await memnn.forget_memory(answer.evidence[0].id)
            with pytest.raises(NotFound, match=str(forgotten.id)):
                await memnn.get_memory(forgotten.id)
            assert (await memnn.delete_bank("async-milk")).deleted == 5

    asyncio.run(session())
    assert set(_public_methods(Client)) == set(_public_methods(AsyncClient)) - {"aclose"} | {"close"}


def test_a_write_whose_answer_was_lost_is_stored_once(served: Served):
    """The proxy passes the first POST on and drops the answer: the client tries again with the same
    Idempotency-Key, and the service answers with the first write instead of storing it twice."""
    with flaky(served.port, "drop answer") as proxy, Client(proxy.url, served.write_key, backoff_seconds=0) as memnn:
        created = memnn.add_memories("lost", ["Joe went to the kitchen.", "Joe went to the office."])
        assert [h.split()[0:2] for h in proxy.heads] == [["POST", "/memories"]] * 2
        assert len(set(_idempotency_keys(proxy.heads))) == 1
        assert [m.id for m in memnn.list_memories("lost").memories] == [m.id for m in created.memories]

    async def lost_again() -> None:
        async with AsyncClient(proxy.url, served.write_key, backoff_seconds=0) as memnn:
            await memnn.add_memories("lost", ["Joe went to the garden."])

    with flaky(served.port, "drop answer") as proxy:
        asyncio.run(lost_again())
        assert len(proxy.heads) == 2 and len(set(_idempotency_keys(proxy.heads))) == 1
    with served.client() as memnn:
        assert memnn.list_memories("lost").total == 3


def test_a_503_is_tried_again_with_the_same_key(served: Served):
    with flaky(served.port, "503", times=2) as proxy, Client(proxy.url, served.write_key, backoff_seconds=0) as memnn:
        memnn.add_memories("retried", ["Joe went to the kitchen."], idempotency_key="mine-1")
        assert _idempotency_keys(proxy.heads) == ["mine-1"] * 3
        assert memnn.list_memories("retried").total == 1
    with flaky(served.port, "503") as proxy, Client(proxy.url, served.write_key, retries=0) as memnn:
        with pytest.raises(Unavailable) as unavailable:
            memnn.delete_bank("retried")
        assert unavailable.value.retry_after == 0 and "locked" in unavailable.value.detail
        assert len(proxy.heads) == 1


def test_a_write_without_a_key_is_not_tried_again_after_a_broken_connection(served: Served):
    """DELETE twice is not DELETE once (the second is a 404): the client says the connection broke."""
    with served.client() as memnn:
        memnn.add_memories("kept-once", ["Joe went home."])
    with flaky(served.port, "drop answer") as proxy, Client(proxy.url, served.write_key, backoff_seconds=0) as memnn:
        with pytest.raises(ConnectionFailed):
            memnn.delete_bank("kept-once")
        assert len(proxy.heads) == 1


def test_an_unreachable_service_raises_connection_failed_after_the_retries():
    with (
        Client(f"http://127.0.0.1:{free_port()}", retries=2, backoff_seconds=0) as memnn,
        pytest.raises(ConnectionFailed, match="after 3 tries"),
    ):
        memnn.health()


def test_the_clients_models_are_the_services_responses():
    """Field for field: a response field added, renamed or dropped on the server fails here."""
    answers = [m for m in vars(client_models).values() if isinstance(m, type) and issubclass(m, client_models.Response)]
    for model in answers[1:]:  # the first is their base
        assert set(model.model_fields) == set(getattr(schemas, model.__name__).model_fields), model.__name__
    assert len(answers) > 20


def _idempotency_keys(heads: list[str]) -> list[str]:
    return [m.group(1) for h in heads if (m := re.search(r"(?im)^idempotency-key: *(\S+)", h))]


def _public_methods(kind: type) -> list[str]:
    return [name for name in vars(kind) if not name.startswith("_")]
