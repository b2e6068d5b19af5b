"""Metadata and time filters: listing, asking within a slice, and deleting exactly the matching memories."""

import json
import time
from datetime import UTC, datetime


def _post(client, bank, statements, metadata=None, **headers):
    body = {"bank": bank, "statements": statements} | ({"metadata": metadata} if metadata is not None else {})
    return client.post("/memories", json=body, headers=headers)


def _texts(page):
    return [m["text"] for m in page["memories"]]


def test_listing_filters_by_metadata_and_time(client):
    _post(client, "b1", ["Mary went to the kitchen."], {"source": "chat", "n": 1})
    middle = datetime.now(UTC)
    time.sleep(0.05)
    _post(client, "b1", ["Mary went to the garden."], {"source": "manual"})
    _post(client, "b1", ["John went to the office."], {"source": "chat"})
    chat = client.get("/memories", params={"bank": "b1", "metadata": json.dumps({"source": "chat"})}).json()
    assert _texts(chat) == ["Mary went to the kitchen.", "John went to the office."] and chat["total"] == 2
    since = client.get("/memories", params={"bank": "b1", "created_after": middle.isoformat()}).json()
    assert _texts(since) == ["Mary went to the garden.", "John went to the office."] and since["total"] == 2
    before = client.get("/memories", params={"bank": "b1", "created_before": middle.isoformat()}).json()
    assert _texts(before) == ["Mary went to the kitchen."]
    number = client.get("/memories", params={"bank": "b1", "metadata": json.dumps({"n": "1"})}).json()
    assert number["total"] == 0  # filters match strings; the number 1 is not the string "1"
    paged = client.get("/memories", params={"bank": "b1", "limit": 1, "metadata": '{"source": "chat"}'}).json()
    rest = client.get(
        "/memories", params={"bank": "b1", "metadata": '{"source": "chat"}', "cursor": paged["next_cursor"]}
    ).json()
    assert _texts(paged) + _texts(rest) == _texts(chat)


def test_bad_filters_are_422_naming_the_field(client):
    _post(client, "b1", ["Mary went home."])
    for params, field in [
        ({"metadata": "{not json"}, "metadata"),
        ({"metadata": "[1, 2]"}, "metadata"),
        ({"metadata": '{"source": 3}'}, "metadata.source"),
        ({"metadata": '{"bad key!": "x"}'}, "metadata.bad key!"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_before": "2026-13-45"}, "created_before"),
    ]:
        response = client.get("/memories", params={"bank": "b1"} | params)
        assert response.status_code == 422 and field in response.json()["detail"], (params, response.text)
    assert (
        client.post(
            "/ask", json={"bank": "b1", "question": "Where is Mary?", "filter": {"created_after": "soon"}}
        ).status_code
        == 422
    )


def test_ask_answers_only_from_the_slice(client):
    _post(client, "b1", ["Mary went to the kitchen."], {"source": "manual"})
    _post(client, "b1", ["Mary went to the garden.", "John went to the office."], {"source": "chat"})
    question = {"bank": "b1", "question": "Where is Mary?", "explain": True}
    manual = client.post("/ask", json=question | {"filter": {"metadata": {"source": "manual"}}}).json()
    assert manual["answer"] == "kitchen"  # the latest fact overall says garden; the slice says kitchen
    assert [e["text"] for e in manual["evidence"]] == ["Mary went to the kitchen."]
    chat = client.post("/ask", json=question | {"filter": {"metadata": {"source": "chat"}}}).json()
    assert chat["answer"] == "garden"
    assert [e["text"] for e in chat["evidence"]] == ["Mary went to the garden."]
    listed = {
        m["text"]: (m["id"], m["position"]) for m in client.get("/memories", params={"bank": "b1"}).json()["memories"]
    }
    candidates = [c for h in chat["hops"] for c in h["candidates"]]
    assert {c["text"] for c in candidates} <= {"Mary went to the garden.", "John went to the office."}
    assert all(listed[c["text"]] == (c["id"], c["position"]) for c in candidates)
    nothing = client.post(
        "/ask", json={"bank": "b1", "question": "Where is Mary?", "filter": {"metadata": {"source": "email"}}}
    )
    assert nothing.status_code == 409
    assert nothing.json()["detail"] == "no memory of bank 'b1' matches the filters: widen them or drop them"


def test_delete_a_scope(client):
    _post(client, "b1", ["Mary went to the kitchen.", "John went home."], {"source": "chat"})
    _post(client, "b1", ["Mary went to the garden."], {"source": "manual"})
    _post(client, "b2", ["Mary went to the office."], {"source": "chat"})
    deleted = client.request("DELETE", "/memories", params={"bank": "b1", "metadata": '{"source": "chat"}'})
    assert deleted.json() == {"bank": "b1", "deleted": 2}
    assert _texts(client.get("/memories", params={"bank": "b1"}).json()) == ["Mary went to the garden."]
    assert client.get("/memories", params={"bank": "b2"}).json()["total"] == 1
    assert client.post("/ask", json={"bank": "b1", "question": "Where is Mary?"}).json()["answer"] == "garden"
    assert client.request("DELETE", "/memories", params={"bank": "b1"}).json()["deleted"] == 1
    assert client.request("DELETE", "/memories", params={"bank": "nope"}).status_code == 404


def test_time_filters_are_strict_at_the_boundary_in_listing_and_asking(client):
    places = ("kitchen", "garden", "office")
    rows = [_post(client, "b1", [f"Mary went to the {place}."]).json()["memories"][0] for place in places]
    middle = rows[1]["created_at"]  # a memory stored at exactly this time is neither after nor before it
    after = client.get("/memories", params={"bank": "b1", "created_after": middle}).json()
    before = client.get("/memories", params={"bank": "b1", "created_before": middle}).json()
    assert _texts(after) == ["Mary went to the office."] and _texts(before) == ["Mary went to the kitchen."]
    question = {"bank": "b1", "question": "Where is Mary?", "explain": True}
    for where, texts in [
        ("created_after", {"Mary went to the office."}),
        ("created_before", {"Mary went to the kitchen."}),
    ]:
        answer = client.post("/ask", json=question | {"filter": {where: middle}}).json()
        considered = {c["text"] for hop in answer["hops"] for c in hop["candidates"]}
        assert considered == texts, (where, answer)
