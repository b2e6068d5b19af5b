"""Every text, JSON value, number and time that enters the service is checked where it enters, the
same way on the live and the import paths: a 422 naming the field, never a 500, nothing stored."""

import base64
import json

import pytest

from app.store.tables import MAX_POSITION, MAX_VERSION

LONE = "\ud800"
RAW = {"content-type": "application/json"}
LINES = {"content-type": "application/x-ndjson"}
LINE = {"position": 0, "text": "Joe went to the garden.", "created_at": "2026-01-01T00:00:00Z"}


def _raw(text: str) -> bytes:
    """JSON text as a client sends it: Python's encoder writes a lone surrogate as its escape."""
    return text.encode("utf-8")


def _unprocessable(response, field: str) -> dict:
    assert response.status_code == 422, response.text
    body = response.json()
    assert field in body["detail"], body
    assert body["errors"] and body["errors"][0]["field"].startswith(field.split(":")[0]), body
    return body


def _import(client, bank, lines):
    body = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    return client.post(f"/banks/{bank}/import", content=body.encode(), headers=LINES)


def _nothing_stored(client, bank="b1"):
    assert client.get("/memories", params={"bank": bank}).status_code == 404


def test_lone_surrogates_are_refused_wherever_text_enters(client):
    row = client.post("/memories", json={"bank": "b1", "statements": ["Joe went home."]}).json()["memories"][0]
    writes = [
        ({"bank": "b2", "statements": [f"Joe {LONE} went home."]}, "statements[0]"),
        ({"bank": "b2", "text": f"Joe went {LONE} home."}, "text"),
        ({"bank": "b2", "statements": ["Joe went."], "metadata": {"k": f"v{LONE}"}}, "metadata.k"),
        ({"bank": "b2", "statements": ["Joe went."], "metadata": {f"k{LONE}": "v"}}, "metadata"),
    ]
    for body, field in writes:
        _unprocessable(client.post("/memories", content=_raw(json.dumps(body)), headers=RAW), field)
    _nothing_stored(client, "b2")
    for body, field in [({"text": f"Joe {LONE}."}, "text"), ({"metadata": {"k": LONE}}, "metadata.k")]:
        _unprocessable(client.patch(f"/memories/{row['id']}", content=_raw(json.dumps(body)), headers=RAW), field)
    assert client.get(f"/memories/{row['id']}").json() == row
    for params in ({"metadata": json.dumps({"source": LONE})}, {"metadata": json.dumps({LONE: "x"})}):
        _unprocessable(client.get("/memories", params={"bank": "b1"} | params), "metadata")
    question = {"bank": "b1", "question": "Where is Joe?"}
    for ask, field in [
        (question | {"filter": {"metadata": {LONE: "x"}}}, "filter.metadata"),
        (question | {"filter": {"metadata": {"k": LONE}}}, "filter.metadata.k"),
        (question | {"question": f"Where is {LONE}?"}, "question"),
    ]:
        response = client.post("/ask", content=_raw(json.dumps(ask)), headers=RAW)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"].startswith(field)


def test_numbers_json_has_no_word_for_are_refused_and_filters_keep_working(client):
    client.post("/memories", json={"bank": "b1", "statements": ["Joe went to the kitchen."], "metadata": {"s": "chat"}})
    for value in ("NaN", "Infinity", "-Infinity", "1e999"):
        body = '{"bank": "b1", "statements": ["Joe went out."], "metadata": {"score": VALUE}}'.replace("VALUE", value)
        _unprocessable(client.post("/memories", content=body.encode(), headers=RAW), "metadata.score")
        line = (
            '{"position": 0, "text": "Joe went out.", "created_at": "2026-01-01T00:00:00Z", "metadata": {"k": VALUE}}'
        )
        _unprocessable(_import(client, "imported", [line.replace("VALUE", value)]), "line 1")
    big = '{"bank": "b1", "statements": ["Joe went out."], "metadata": {"n": ' + str(2**64) + "}}"
    _unprocessable(client.post("/memories", content=big.encode(), headers=RAW), "metadata.n")
    deep = {
        "bank": "b1",
        "statements": ["Joe went out."],
        "metadata": {"k": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]},
    }
    _unprocessable(client.post("/memories", json=deep), "metadata.k")
    filtered = client.get("/memories", params={"bank": "b1", "metadata": '{"s": "chat"}'})
    assert filtered.status_code == 200 and filtered.json()["total"] == 1
    assert client.get("/memories", params={"bank": "b1"}).json()["total"] == 1  # none of the refused writes
    assert (
        client.request("DELETE", "/memories", params={"bank": "b1", "metadata": '{"s": "chat"}'}).json()["deleted"] == 1
    )


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"], ids=["before-year-1", "after-9999"]
)
def test_times_that_leave_the_calendar_in_utc_are_refused(client, moment):
    client.post("/memories", json={"bank": "b1", "statements": ["Joe went home."]})
    for params, field in [({"created_after": moment}, "created_after"), ({"created_before": moment}, "created_before")]:
        _unprocessable(client.get("/memories", params={"bank": "b1"} | params), field)
        _unprocessable(client.request("DELETE", "/memories", params={"bank": "b1"} | params), field)
    asked = client.post("/ask", json={"bank": "b1", "question": "Where is Joe?", "filter": {"created_after": moment}})
    _unprocessable(asked, "filter.created_after")
    history = [{"version": 1, "text": "Joe left.", "metadata": None, "recorded_at": moment}]
    for line, field in [
        (LINE | {"created_at": moment}, "line 1: created_at"),
        (LINE | {"updated_at": moment, "version": 1}, "line 1: updated_at"),
        (LINE | {"version": 2, "history": history}, "line 1: history[0].recorded_at"),
    ]:
        _unprocessable(_import(client, "imported", [line]), field)
    _nothing_stored(client, "imported")
    assert client.get("/memories", params={"bank": "b1"}).json()["total"] == 1


def test_positions_cursors_and_versions_are_bounded_where_they_enter(client):
    client.post("/memories", json={"bank": "b1", "statements": ["Joe went home."]})
    for position in (2**63 - 1, 2**63, 2**64, MAX_POSITION + 1):
        _unprocessable(_import(client, "far", [LINE | {"position": position}]), "line 1")
    _unprocessable(_import(client, "far", [LINE | {"version": MAX_VERSION + 1}]), "line 1")
    for after in (2**63, 10**30, MAX_POSITION + 1, -1):
        cursor = base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode().rstrip("=")
        _unprocessable(client.get("/memories", params={"bank": "b1", "cursor": cursor}), "cursor")
    _nothing_stored(client, "far")


def test_a_bank_at_the_last_position_refuses_more_and_keeps_working(client):
    assert _import(client, "edge", [LINE | {"position": MAX_POSITION}]).status_code == 201
    full = client.post("/memories", json={"bank": "edge", "statements": ["Joe went to the office."]})
    assert full.status_code == 409 and "write position" in full.json()["detail"]
    rows = client.get("/memories", params={"bank": "edge"}).json()
    assert [(r["position"], r["text"]) for r in rows["memories"]] == [(MAX_POSITION, "Joe went to the garden.")]
    assert client.post("/ask", json={"bank": "edge", "question": "Where is Joe?"}).json()["answer"] == "garden"


def test_a_huge_version_with_no_history_is_refused_at_once(client):
    response = _import(client, "v", [LINE | {"version": MAX_VERSION}])  # no list of 2**31 versions is built
    _unprocessable(response, "line 1: history")


def test_imported_history_meets_the_live_limits(client):
    def with_history(**version):
        entry = {"version": 1, "text": "Joe left.", "metadata": None, "recorded_at": "2026-01-01T00:00:00Z"} | version
        return LINE | {"version": 2, "history": [entry]}

    for line, field in [
        (with_history(text="a " * 600), "line 1: history[0].text"),
        (with_history(text=""), "line 1: history[0].text"),
        (with_history(text="Joe\u0000left."), "line 1: history[0].text"),
        (with_history(metadata={"k": "v" * 20_000}), "line 1: history[0].metadata"),
        (with_history(version=2), "line 1: history"),
        (with_history(recorded_at=1.5), "line 1"),
    ]:
        _unprocessable(_import(client, "h", [line]), field)
    _nothing_stored(client, "h")


def test_filters_refuse_null_empty_nested_and_nul(client):
    client.post("/memories", json={"bank": "b1", "statements": ["Joe went home.", "Fred went out."]})
    for metadata in ("null", "{}", "[" * 2000 + "]" * 2000, '{"source": "\\u0000"}', "0", '""'):
        _unprocessable(client.request("DELETE", "/memories", params={"bank": "b1", "metadata": metadata}), "metadata")
        _unprocessable(client.get("/memories", params={"bank": "b1", "metadata": metadata}), "metadata")
    assert client.get("/memories", params={"bank": "b1"}).json()["total"] == 2  # nothing was deleted
    empty = client.post("/ask", json={"bank": "b1", "question": "Where is Joe?", "filter": {"metadata": {}}})
    assert empty.status_code == 422


def test_the_api_is_strict_about_types_and_names(client):
    client.post("/memories", json={"bank": "b1", "statements": ["Joe went home."]})
    question = {"bank": "b1", "question": "Where is Joe?"}
    for body, field in [
        (question | {"k": True}, "k"),
        (question | {"k": "2"}, "k"),
        (question | {"k": 1.5}, "k"),
        (question | {"explain": "yes"}, "explain"),
        (question | {"filter": {"created_after": 0.5}}, "filter.created_after"),
        ({"bank": "b1", "statements": [1]}, "statements[0]"),
        ({"bank": 5, "statements": ["Joe went."]}, "bank"),
    ]:
        path = "/memories" if "statements" in body else "/ask"
        _unprocessable(client.post(path, json=body), field)
    _unprocessable(client.get("/memories", params={"bank": "b1", "created_before": "0.5"}), "created_before")
    _unprocessable(client.get("/memories", params={"bank": "b1", "bnk": "b2"}), "bnk")
    _unprocessable(client.get("/banks", params={"verbose": "1"}), "verbose")
    assert client.get("/memories", params={"bank": "b1", "created_before": "2999-01-01"}).json()["total"] == 1


@pytest.mark.parametrize(
    "body, reason",
    [
        (b'{"bank": "b1", "statements": ["Jo\xff"]}', "UTF-8"),
        (b'{"bank": "b1", "metadata": ' + b"[" * 5000 + b"]" * 5000 + b', "statements": ["x y"]}', "nested"),
        (b'{"bank": "b1", "statements": ["x y"], "metadata": {"n": ' + b"9" * 5000 + b"}}", "JSON"),
    ],
    ids=["not-utf8", "deep", "huge-integer"],
)
def test_bodies_that_cannot_be_parsed_are_422_naming_why(client, body, reason):
    response = client.post("/memories", content=body, headers=RAW)
    assert response.status_code == 422 and reason in response.json()["detail"], response.text
    assert response.json()["errors"][0]["field"] == "body"


def test_an_export_holding_line_separators_imports_again(client):
    odd = ["Joe went\u2028home.", "Fred\u2029went out.", "Mary\u0085left.", "Ann went\rhome.", "Bo\x1ewent\x0bout."]
    client.post("/memories", json={"bank": "rt", "statements": odd, "metadata": {"k": "a\u2028b"}})
    exported = client.get("/banks/rt/export").content
    imported = client.post("/banks/rt-copy/import", content=exported, headers=LINES)
    assert imported.status_code == 201, imported.text
    assert imported.json()["imported"] == len(odd)
    assert client.get("/banks/rt-copy/export").content == exported


def test_what_the_second_probe_found_at_the_door(client):
    client.post("/memories", json={"bank": "b1", "statements": ["Joe went home."]})
    utf16 = json.dumps({"bank": "b1", "statements": ["Jo went."]}).encode("utf-16")
    _unprocessable(client.post("/memories", content=utf16, headers=RAW), "body")
    with_bom = b"\xef\xbb\xbf" + json.dumps({"bank": "b1", "statements": ["Jo went."]}).encode()
    _unprocessable(client.post("/memories", content=with_bom, headers=RAW), "body")
    question = {"bank": "b1", "question": "Where is Joe?"}
    _unprocessable(client.post("/ask", json=question | {"filter": {"metadata": None}}), "filter.metadata")
    for moment in ("1700000000", "0.5", "-1"):
        _unprocessable(
            client.post("/ask", json=question | {"filter": {"created_after": moment}}), "filter.created_after"
        )
        _unprocessable(_import(client, "t", [LINE | {"created_at": moment}]), "line 1")
    entry = {"version": 1, "text": "Joe left.", "metadata": None, "recorded_at": "2026-01-01T00:00:00Z", "foo": 1}
    _unprocessable(_import(client, "t", [LINE | {"version": 2, "history": [entry]}]), "line 1")
    _nothing_stored(client, "t")
    assert client.get("/memories", params={"bank": "b1"}).json()["total"] == 1


def test_a_method_a_path_does_not_serve_names_those_it_does(client):
    for method, path, allowed in [("OPTIONS", "/memories", "DELETE, GET, POST"), ("DELETE", "/ask", "POST"),
                                  ("PUT", "/memories/5", "DELETE, GET, PATCH")]:  # fmt: skip
        response = client.request(method, path)
        assert response.status_code == 405 and response.headers["allow"] == allowed, (method, path)
