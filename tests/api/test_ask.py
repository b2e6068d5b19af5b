from ..conftest import MILK_STORY


def test_where_is_the_milk_now_answers_office_with_evidence(client):
    stored = client.post("/memories", json={"bank": "b1", "statements": MILK_STORY}).json()["memories"]
    response = client.post("/ask", json={"bank": "b1", "question": "Where is the milk now?", "k": 2})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["answer"] == "office"
    assert [e["text"] for e in body["evidence"]] == ["Joe left the milk.", "Joe travelled to the office."]
    assert [e["hop"] for e in body["evidence"]] == [1, 2]
    ids = {m["text"]: m["id"] for m in stored}
    assert [e["id"] for e in body["evidence"]] == [ids[e["text"]] for e in body["evidence"]]
    assert body["alternatives"] and all(a["score"] <= body["score"] for a in body["alternatives"])
    assert body["model"]["version"] == client.get("/model").json()["version"]


def test_latest_fact_wins_after_a_new_write(client):
    client.post("/memories", json={"bank": "b1", "statements": ["Mary went to the kitchen."]})
    assert client.post("/ask", json={"bank": "b1", "question": "Where is Mary?"}).json()["answer"] == "kitchen"
    client.post("/memories", json={"bank": "b1", "statements": ["Mary went to the garden."]})
    body = client.post("/ask", json={"bank": "b1", "question": "Where is Mary?"}).json()
    assert body["answer"] == "garden"
    assert body["evidence"][0]["text"] == "Mary went to the garden."


def test_evidence_never_leaves_the_bank(client):
    client.post("/memories", json={"bank": "b1", "statements": ["Mary went to the kitchen."]})
    client.post("/memories", json={"bank": "b2", "statements": ["Mary went to the garden.", "John went home."]})
    for bank, place in (("b1", "kitchen"), ("b2", "garden")):
        body = client.post("/ask", json={"bank": bank, "question": "Where is Mary?"}).json()
        own = {m["id"] for m in client.get("/memories", params={"bank": bank}).json()["memories"]}
        assert body["answer"] == place
        assert {e["id"] for e in body["evidence"]} <= own


def test_forgetting_changes_the_answer(client):
    rows = client.post(
        "/memories", json={"bank": "b1", "statements": ["Mary went to the kitchen.", "Mary went to the garden."]}
    ).json()["memories"]
    client.delete(f"/memories/{rows[1]['id']}")
    assert client.post("/ask", json={"bank": "b1", "question": "Where is Mary?"}).json()["answer"] == "kitchen"


def test_k_caps_the_hops(client):
    client.post("/memories", json={"bank": "b1", "statements": MILK_STORY})
    body = client.post("/ask", json={"bank": "b1", "question": "Where is the milk now?", "k": 1}).json()
    assert len(body["evidence"]) == 1


def test_bad_questions(client):
    client.post("/memories", json={"bank": "b1", "statements": ["Mary went to the kitchen."]})
    for body, status, field in [
        ({"bank": "nope", "question": "Where is Mary?"}, 404, "nope"),
        ({"bank": "b1", "question": ""}, 422, "question"),
        ({"bank": "b1", "question": "?"}, 422, "question"),
        ({"bank": "b1", "question": "x" * 1001}, 422, "question"),
        ({"bank": "b1", "question": "Where\u0000?"}, 422, "question"),
        ({"bank": "b1", "question": "Where is Mary?", "k": 0}, 422, "k"),
        ({"bank": "b1", "question": "Where is Mary?", "k": 11}, 422, "k"),
        ({"bank": "b1"}, 422, "question"),
    ]:
        response = client.post("/ask", json=body)
        assert response.status_code == status, (body, response.text)
        assert field in response.json()["detail"]


def test_a_bank_with_no_memories_left_is_a_409(client):
    row = client.post("/memories", json={"bank": "b1", "statements": ["Mary went home."]}).json()["memories"][0]
    client.delete(f"/memories/{row['id']}")
    response = client.post("/ask", json={"bank": "b1", "question": "Where is Mary?"})
    assert response.status_code == 409
    assert response.json()["detail"] == "bank 'b1' has no memories to answer from: add statements with POST /memories"


def test_model_health_and_offline_docs(client):
    info = client.get("/model").json()
    assert info["name"] and len(info["version"]) == 12 and info["vocabulary_size"] > 100 and info["max_hops"] == 10
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready", "database": True, "writable": True}
    docs = client.get("/docs").text
    assert "/static/swagger/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/swagger/swagger-ui.css").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/memories", "/memories/{memory_id}", "/ask", "/banks", "/banks/{bank}", "/model"} <= set(paths)


def test_explain_shows_each_hops_runners_up(client):
    client.post("/memories", json={"bank": "b1", "statements": MILK_STORY})
    plain = client.post("/ask", json={"bank": "b1", "question": "Where is the milk now?"}).json()
    assert "hops" not in plain  # without explain the response is unchanged
    body = client.post("/ask", json={"bank": "b1", "question": "Where is the milk now?", "explain": True}).json()
    assert body["answer"] == plain["answer"] and body["evidence"] == plain["evidence"]
    assert [h["hop"] for h in body["hops"]] == [e["hop"] for e in body["evidence"]]
    for hop, evidence in zip(body["hops"], body["evidence"], strict=True):
        assert 1 < len(hop["candidates"]) <= 5
        scores = [c["score"] for c in hop["candidates"]]
        assert scores == sorted(scores, reverse=True)
        chosen = [c for c in hop["candidates"] if c["chosen"]]
        assert [c["id"] for c in chosen] == [evidence["id"]]
        assert abs(chosen[0]["score"] - evidence["score"]) < 1e-4
        assert isinstance(hop["stop_score"], float)
