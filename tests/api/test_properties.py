"""Whole request sequences, generated (hypothesis), across banks and API keys: writes (some retried
with an Idempotency-Key), corrections, deletions, exports into other banks, questions. After every
step: no 5xx, every acknowledged write stored exactly once and nothing else, an export imported
elsewhere is the same bank, and no key reaches a bank it was not given."""

import json
import uuid

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from app.main import create_app
from app.store import keys
from app.store.database import migrate, session_factory

PEOPLE = ["Mary", "John", "Zanele", "Mount-Doom"]
PLACES = ["kitchen", "garden", "office", "Grey-havens"]
SOURCES = ["chat", "mail"]
LINES = {"content-type": "application/x-ndjson"}
statements = st.lists(
    st.builds(lambda who, where: f"{who} went to the {where}.", st.sampled_from(PEOPLE), st.sampled_from(PLACES)),
    min_size=1,
    max_size=4,
)


class MemoryServiceMachine(RuleBasedStateMachine):
    """The model: each bank's acknowledged memories, id -> (position, text, metadata, version)."""

    client: TestClient
    sessions: object

    def __init__(self) -> None:
        super().__init__()
        run = uuid.uuid4().hex[:8]
        self.banks = [f"p{run}-a", f"p{run}-b"]
        with self.sessions.begin() as session:  # type: ignore[attr-defined]
            self.writers = {bank: keys.create_key(session, f"w-{bank}", "write", [bank]) for bank in self.banks}
            self.reader = keys.create_key(session, f"r-{run}", "read", [self.banks[0]])
            self.admin = keys.create_key(session, f"admin-{run}", "write", ["*"])
        self.stored: dict[str, dict[int, tuple[int, str, object, int]]] = {bank: {} for bank in self.banks}
        self.retries: list[tuple[str, dict, dict]] = []  # (key, body, first response)
        self.copies = 0

    def _as(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    def _send(self, method: str, path: str, key: str, **kwargs):
        response = self.client.request(method, path, headers=self._as(key) | kwargs.pop("headers", {}), **kwargs)
        assert response.status_code < 500, (method, path, response.status_code, response.text)
        return response

    def _record(self, bank: str, memories: list[dict]) -> None:
        for m in memories:
            assert m["id"] not in self.stored[bank], "an acknowledged id came back twice"
            self.stored[bank][m["id"]] = (m["position"], m["text"], m["metadata"], m["version"])

    @rule(which=st.integers(0, 1), texts=statements, source=st.sampled_from([None, *SOURCES]), keyed=st.booleans())
    def write(self, which, texts, source, keyed):
        bank = self.banks[which]
        body = {"bank": bank, "statements": texts} | ({"metadata": {"source": source}} if source else {})
        headers = {"Idempotency-Key": uuid.uuid4().hex} if keyed else {}
        response = self._send("POST", "/memories", self.writers[bank], json=body, headers=headers)
        assert response.status_code == 201, response.text
        self._record(bank, response.json()["memories"])
        if keyed:
            self.retries.append((headers["Idempotency-Key"], body, response.json()))

    @rule(which=st.integers(0, 1), texts=statements)
    def write_with_another_banks_key(self, which, texts):
        bank, other = self.banks[which], self.banks[1 - which]
        refused = self._send("POST", "/memories", self.writers[other], json={"bank": bank, "statements": texts})
        assert refused.status_code == 403

    @precondition(lambda self: self.retries)
    @rule(data=st.data())
    def retry(self, data):
        key, body, first = data.draw(st.sampled_from(self.retries))
        again = self._send("POST", "/memories", self.writers[body["bank"]], json=body, headers={"Idempotency-Key": key})
        ids = {m["id"] for m in first["memories"]}
        if ids <= set(self.stored[body["bank"]]):
            assert again.status_code == 201 and again.json() == first  # replayed, nothing written
        else:
            assert again.status_code == 409  # some of what it wrote is gone since: never a replay of gone ids

    @precondition(lambda self: any(self.stored.values()))
    @rule(data=st.data(), texts=statements, source=st.sampled_from([None, *SOURCES]))
    def correct(self, data, texts, source):
        bank = data.draw(st.sampled_from([b for b in self.banks if self.stored[b]]))
        memory_id = data.draw(st.sampled_from(sorted(self.stored[bank])))
        other = self.banks[1 - self.banks.index(bank)]
        body = {"text": texts[0], "metadata": {"source": source} if source else None}
        assert self._send("PATCH", f"/memories/{memory_id}", self.writers[other], json=body).status_code == 404
        response = self._send("PATCH", f"/memories/{memory_id}", self.writers[bank], json=body)
        assert response.status_code == 200, response.text
        position, _, _, version = self.stored[bank][memory_id]
        row = response.json()
        assert (row["position"], row["version"]) == (position, version + 1)
        self.stored[bank][memory_id] = (position, row["text"], row["metadata"], row["version"])

    @precondition(lambda self: any(self.stored.values()))
    @rule(data=st.data())
    def forget(self, data):
        bank = data.draw(st.sampled_from([b for b in self.banks if self.stored[b]]))
        memory_id = data.draw(st.sampled_from(sorted(self.stored[bank])))
        assert self._send("DELETE", f"/memories/{memory_id}", self.reader).status_code in (403, 404)
        assert self._send("DELETE", f"/memories/{memory_id}", self.writers[bank]).status_code == 200
        del self.stored[bank][memory_id]

    @rule(which=st.integers(0, 1), source=st.sampled_from(SOURCES))
    def forget_matching(self, which, source):
        bank = self.banks[which]
        params = {"bank": bank, "metadata": json.dumps({"source": source})}
        response = self._send("DELETE", "/memories", self.writers[bank], params=params)
        matching = [i for i, (_, _, meta, _) in self.stored[bank].items() if meta == {"source": source}]
        if response.status_code == 404:
            assert not self.stored[bank] and not matching  # a bank never written to does not exist yet
            return
        assert response.json()["deleted"] == len(matching)
        for memory_id in matching:
            del self.stored[bank][memory_id]

    @precondition(lambda self: any(self.stored.values()))
    @rule(data=st.data())
    def export_into_a_new_bank(self, data):
        bank = data.draw(st.sampled_from([b for b in self.banks if self.stored[b]]))
        exported = self._send("GET", f"/banks/{bank}/export", self.writers[bank])
        assert exported.status_code == 200
        self.copies += 1
        copy = f"{bank}-copy{self.copies}"
        imported = self._send("POST", f"/banks/{copy}/import", self.admin, content=exported.content, headers=LINES)
        assert imported.json() == {"bank": copy, "imported": len(self.stored[bank])}
        assert self._send("GET", f"/banks/{copy}/export", self.admin).content == exported.content  # the identity
        assert self._send("GET", f"/banks/{copy}/export", self.writers[bank]).status_code == 403

    @rule(which=st.integers(0, 1), who=st.sampled_from(PEOPLE))
    def ask(self, which, who):
        bank = self.banks[which]
        response = self._send("POST", "/ask", self.writers[bank], json={"bank": bank, "question": f"Where is {who}?"})
        if not self.stored[bank]:
            assert response.status_code in (404, 409)
            return
        assert response.status_code == 200, response.text
        assert {e["id"] for e in response.json()["evidence"]} <= set(self.stored[bank])

    @invariant()
    def every_acknowledged_write_is_stored_once_and_nothing_else(self):
        for bank in self.banks:
            response = self._send("GET", "/memories", self.admin, params={"bank": bank, "limit": 500})
            if response.status_code == 404:
                assert not self.stored[bank]
                continue
            rows = response.json()["memories"]
            expected = sorted((p, i, t, m, v) for i, (p, t, m, v) in self.stored[bank].items())
            assert [(r["position"], r["id"], r["text"], r["metadata"], r["version"]) for r in rows] == expected

    @invariant()
    def no_key_reaches_another_bank(self):
        first, second = self.banks
        assert self._send("GET", "/memories", self.writers[first], params={"bank": second}).status_code == 403
        assert self._send("GET", "/memories", self.reader, params={"bank": second}).status_code == 403
        listed = self._send("GET", "/banks", self.writers[second]).json()["banks"]
        assert {b["name"] for b in listed} <= {second}


@pytest.fixture
def secured_client(settings, shipped_checkpoint):
    settings = settings.model_copy(update={"auth_disabled": False})
    migrate(settings.database_url)
    app = create_app(settings, shipped_checkpoint)
    with TestClient(app) as client:
        yield client, session_factory(app.state.engine)
    app.state.engine.dispose()


@pytest.mark.slow
def test_request_sequences_keep_every_invariant(secured_client):
    MemoryServiceMachine.client, MemoryServiceMachine.sessions = secured_client
    machine = MemoryServiceMachine.TestCase
    machine.settings = settings(
        max_examples=12,
        stateful_step_count=14,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    machine().runTest()
