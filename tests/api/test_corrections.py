"""Corrections: the same id and position, re-embedded text, and every earlier version kept."""

from ..conftest import MILK_STORY
from .test_filters import _post


def test_a_correction_keeps_position_and_history(client):
    rows = _post(client, "b1", MILK_STORY, {"source": "paper"}).json()["memories"]
    left = rows[4]
    patched = client.patch(f"/memories/{left['id']}", json={"text": "Joe left the milk in the kitchen."})
    assert patched.status_code == 200
    body = patched.json()
    assert body["position"] == left["position"] and body["version"] == 2 and body["updated_at"]
    assert body["metadata"] == {"source": "paper"}
    client.patch(f"/memories/{left['id']}", json={"metadata": {"source": "fixed"}})
    history = client.get(f"/memories/{left['id']}/history").json()
    assert [(v["version"], v["text"], v["metadata"]) for v in history["versions"]] == [
        (1, "Joe left the milk.", {"source": "paper"}),
        (2, "Joe left the milk in the kitchen.", {"source": "paper"}),
        (3, "Joe left the milk in the kitchen.", {"source": "fixed"}),
    ]
    assert history["versions"][0]["recorded_at"] == left["created_at"]
    answer = client.post("/ask", json={"bank": "b1", "question": "Where is the milk?", "explain": True}).json()
    assert any(e["text"] == "Joe left the milk in the kitchen." for e in answer["evidence"])  # re-embedded, same slot
    assert client.get("/memories", params={"bank": "b1"}).json()["total"] == len(MILK_STORY)


def test_bad_corrections_change_nothing(client):
    row = _post(client, "b1", ["Mary went home."]).json()["memories"][0]
    for body, field in [({}, "body"), ({"text": None}, "text"), ({"text": "  "}, "text"), ({"text": "x\u0000"}, "text"),
                        ({"metadata": {"k": "v" * 20000}}, "metadata"), ({"other": 1}, "other")]:  # fmt: skip
        response = client.patch(f"/memories/{row['id']}", json=body)
        assert response.status_code == 422 and field in response.json()["detail"], (body, response.text)
    assert client.get(f"/memories/{row['id']}").json() == row
    client.delete(f"/memories/{row['id']}")
    gone = client.patch(f"/memories/{row['id']}", json={"text": "Mary went out."})
    assert gone.status_code == 404
    assert client.get(f"/memories/{row['id']}/history").status_code == 404
