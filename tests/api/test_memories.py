from datetime import datetime

from ..conftest import MILK_STORY


def test_post_statements_stores_every_row_verbatim(client):
    response = client.post("/memories", json={"bank": "b1", "statements": MILK_STORY, "metadata": {"source": "paper"}})
    assert response.status_code == 201
    body = response.json()
    assert body["bank"] == "b1"
    assert [m["text"] for m in body["memories"]] == MILK_STORY
    assert [m["position"] for m in body["memories"]] == list(range(6))
    assert all(m["metadata"] == {"source": "paper"} and m["bank"] == "b1" for m in body["memories"])
    assert datetime.fromisoformat(body["memories"][0]["created_at"]).utcoffset().total_seconds() == 0


def test_post_text_is_split_into_sentences(client):
    response = client.post("/memories", json={"bank": "b1", "text": "Joe went to the kitchen. Fred went home!"})
    assert response.status_code == 201
    assert [m["text"] for m in response.json()["memories"]] == ["Joe went to the kitchen.", "Fred went home!"]


def test_listing_pages_with_a_cursor_and_a_total(client):
    client.post("/memories", json={"bank": "b1", "statements": [f"Mary went to room {i}." for i in range(7)]})
    client.post("/memories", json={"bank": "other", "statements": ["Fred went home."]})
    first = client.get("/memories", params={"bank": "b1", "limit": 3}).json()
    assert first["total"] == 7 and len(first["memories"]) == 3 and first["next_cursor"]
    seen = [m["text"] for m in first["memories"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get("/memories", params={"bank": "b1", "limit": 3, "cursor": cursor}).json()
        seen += [m["text"] for m in page["memories"]]
        cursor = page["next_cursor"]
    assert seen == [f"Mary went to room {i}." for i in range(7)]


def test_get_and_forget_one_memory(client):
    rows = client.post("/memories", json={"bank": "b1", "statements": ["A went home.", "B went out."]}).json()
    first = rows["memories"][0]
    assert client.get(f"/memories/{first['id']}").json() == first
    assert client.delete(f"/memories/{first['id']}").json()["text"] == "A went home."
    missing = client.get(f"/memories/{first['id']}")
    assert missing.status_code == 404 and str(first["id"]) in missing.json()["detail"]
    assert client.delete(f"/memories/{first['id']}").status_code == 404
    assert [m["text"] for m in client.get("/memories", params={"bank": "b1"}).json()["memories"]] == ["B went out."]


def test_banks_are_listed_and_deleted(client):
    client.post("/memories", json={"bank": "b1", "statements": ["A went home.", "B went out."]})
    client.post("/memories", json={"bank": "b2", "statements": ["C went home."]})
    banks = client.get("/banks").json()["banks"]
    assert [(b["name"], b["memories"]) for b in banks] == [("b1", 2), ("b2", 1)]
    assert client.delete("/banks/b1").json() == {"bank": "b1", "deleted": 2}
    assert [b["name"] for b in client.get("/banks").json()["banks"]] == ["b2"]
    assert client.get("/memories", params={"bank": "b1"}).status_code == 404
    assert client.delete("/banks/b1").status_code == 404


def _error(response, status, field):
    assert response.status_code == status, response.text
    body = response.json()
    assert field in body["detail"], body
    return body


def test_bad_writes_get_4xx_naming_the_field_and_store_nothing(client):
    cases = [
        ({"bank": "b1"}, "body"),
        ({"bank": "b1", "statements": ["a b"], "text": "a b"}, "body"),
        ({"bank": "b1", "statements": []}, "statements"),
        ({"bank": "b1", "statements": ["ok then", "   "]}, "statements[1]"),
        ({"bank": "b1", "statements": ["ok", "bad\u0000byte"]}, "statements[1]"),
        ({"bank": "b1", "statements": ["x" * 1001]}, "statements[0]"),
        ({"bank": "b1", "statements": ["?!"]}, "statements[0]"),
        ({"bank": "b1", "statements": "not a list"}, "statements"),
        ({"bank": "bad name!", "statements": ["a"]}, "bank"),
        ({"bank": "b" * 65, "statements": ["a"]}, "bank"),
        ({"bank": "b1", "statements": ["a"], "unknown": 1}, "unknown"),
        ({"bank": "b1", "statements": ["a"], "metadata": {"k": "v\u0000"}}, "metadata"),
        ({"bank": "b1", "statements": ["a"], "metadata": {"k": "v" * 20000}}, "metadata"),
    ]
    for body, field in cases:
        _error(client.post("/memories", json=body), 422, field)
    _error(client.post("/memories", json={"bank": "b1", "statements": ["a"] * 1001}), 422, "MEMNN_MAX_STATEMENTS")
    _error(client.post("/memories", content=b"{not json", headers={"content-type": "application/json"}), 422, "body")
    assert client.get("/banks").json()["banks"] == []


def test_body_over_the_limit_is_413(client):
    big = {"bank": "b1", "statements": ["word " * 150] * 2000}
    response = client.post("/memories", json=big)
    assert response.status_code == 413 and "MEMNN_MAX_BODY_BYTES" in response.json()["detail"]


def test_bad_listing_parameters(client):
    client.post("/memories", json={"bank": "b1", "statements": ["a went home"]})
    _error(client.get("/memories", params={"bank": "b1", "limit": 501}), 422, "limit")
    _error(client.get("/memories", params={"bank": "b1", "limit": 0}), 422, "limit")
    _error(client.get("/memories", params={"bank": "b1", "cursor": "garbage!"}), 422, "cursor")
    _error(client.get("/memories", params={"bank": "nope"}), 404, "nope")
    _error(client.get("/memories/0"), 422, "memory_id")
    _error(client.get("/memories/abc"), 422, "memory_id")


def test_odd_but_valid_text_comes_back_exactly(client):
    odd = [
        "Zoë went to the café — déjà vu.",
        "Фёдор пошёл на кухню.",
        "The 🥛 is in the 🏢, said \"Joe\" and 'Fred'.",
        "Robert'); DROP TABLE memories;-- went home.",
        "tab\there, and a\nnewline",
        "100% of \\ backslashes \\\\ stay",
    ]
    created = client.post("/memories", json={"bank": "odd", "statements": odd, "metadata": {"ключ": "值 🥛"}})
    assert created.status_code == 201
    rows = client.get("/memories", params={"bank": "odd"}).json()["memories"]
    assert [r["text"] for r in rows] == odd
    assert all(r["metadata"] == {"ключ": "值 🥛"} for r in rows)
    answer = client.post("/ask", json={"bank": "odd", "question": "Где Фёдор? 🥛 '; DROP TABLE banks;--"})
    assert answer.status_code == 200


def test_served_ids_are_not_a_sequence(client):
    ids = []
    for i in range(40):
        written = client.post("/memories", json={"bank": "b1", "statements": [f"Mary went to room {i}."]}).json()
        ids.append(written["memories"][0]["id"])
    assert ids != sorted(ids) and len(set(ids)) == 40
    assert all(client.get(f"/memories/{memory_id}").json()["id"] == memory_id for memory_id in ids)
