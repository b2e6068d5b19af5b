"""Writers that race: corrections of one memory queue up, imports into one empty bank never merge,
and an import racing a write never fails with a deadlock, on SQLite and PostgreSQL."""

import json

from .test_idempotency import _at_once

LINES = {"content-type": "application/x-ndjson"}


def _export_lines(start, tag, count=300):
    return "".join(
        json.dumps({"position": start + i, "text": f"{tag}{i} went home.", "created_at": "2026-01-01T00:00:00Z"}) + "\n"
        for i in range(count)
    )


def test_concurrent_corrections_of_one_memory_all_land_in_order(client):
    row = client.post("/memories", json={"bank": "race", "statements": ["Joe went to the kitchen."]}).json()
    memory_id = row["memories"][0]["id"]
    answers = _at_once(16, lambda i: client.patch(f"/memories/{memory_id}", json={"text": f"Joe went to room {i}."}))
    assert sorted(r.status_code for r in answers) == [200] * 16, [r.text for r in answers if r.status_code != 200]
    assert sorted(r.json()["version"] for r in answers) == list(range(2, 18))
    versions = client.get(f"/memories/{memory_id}/history").json()["versions"]
    assert [v["version"] for v in versions] == list(range(1, 18))
    assert {v["text"] for v in versions[1:]} == {f"Joe went to room {i}." for i in range(16)}


def test_concurrent_imports_into_an_existing_empty_bank_never_merge(client):
    client.post("/memories", json={"bank": "e1", "statements": ["x y"]})
    client.request("DELETE", "/memories", params={"bank": "e1"})
    for first, second in (((0, "A"), (5000, "B")), ((0, "C"), (0, "D"))):  # disjoint, then the same positions
        client.request("DELETE", "/memories", params={"bank": "e1"})
        bodies = [_export_lines(*first), _export_lines(*second)]
        answers = _at_once(
            2, lambda i, bodies=bodies: client.post("/banks/e1/import", content=bodies[i], headers=LINES)
        )
        assert sorted(r.status_code for r in answers) == [201, 409], [r.text for r in answers]
        assert client.get("/memories", params={"bank": "e1", "limit": 1}).json()["total"] == 300


def test_an_import_racing_a_write_into_an_empty_bank_never_fails(client):
    client.post("/memories", json={"bank": "e2", "statements": ["x y"]})
    client.request("DELETE", "/memories", params={"bank": "e2"})
    body = _export_lines(0, "I")

    def either(i):
        if i == 0:
            return client.post("/banks/e2/import", content=body, headers=LINES)
        return client.post("/memories", json={"bank": "e2", "statements": ["Joe went home."]})

    imported, written = _at_once(2, either)
    assert written.status_code == 201 and imported.status_code in (201, 409), imported.text
    total = client.get("/memories", params={"bank": "e2"}).json()["total"]
    assert total == (301 if imported.status_code == 201 else 1)
