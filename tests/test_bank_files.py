"""`memnn bank export` and `memnn bank import`: a bank moves SQLite -> PostgreSQL -> SQLite in one
command each way, the files identical; a bad file is refused naming its line, and nothing is written."""

import json

from fastapi.testclient import TestClient

from app.cli import main
from app.main import create_app
from app.settings import Settings

from .conftest import MILK_STORY


def _laptop_bank(url: str, checkpoint) -> list[int]:
    """A bank written through the API as a user would: 2,506 memories over three requests, metadata,
    a correction (history) and a forgotten memory (a gap in the positions)."""
    app = create_app(Settings(database_url=url, auth_disabled=True), checkpoint)
    with TestClient(app) as laptop:
        laptop.post("/memories", json={"bank": "milk", "statements": MILK_STORY, "metadata": {"s": "é 🥛"}})
        for start in range(0, 2_500, 1_000):
            statements = [f"Person{k} went to the garden." for k in range(start, min(start + 1_000, 2_500))]
            laptop.post("/memories", json={"bank": "milk", "statements": statements})
        ids = [m["id"] for m in laptop.get("/memories", params={"bank": "milk", "limit": 6}).json()["memories"]]
        laptop.patch(f"/memories/{ids[4]}", json={"text": "Joe left the milk there.", "metadata": {"s": "fixed"}})
        laptop.delete(f"/memories/{ids[1]}")
    app.state.engine.dispose()
    return ids


def _moved(args: list[str], capsys) -> str:
    assert main(args) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def test_a_bank_moves_sqlite_to_postgresql_and_back_with_one_command_each(
    tmp_path, postgres_url, shipped_checkpoint, capsys
):
    laptop, back = f"sqlite:///{tmp_path / 'laptop.db'}", f"sqlite:///{tmp_path / 'back.db'}"
    _laptop_bank(laptop, shipped_checkpoint)
    first, second, third = (tmp_path / f"{name}.jsonl" for name in ("first", "second", "third"))

    _moved(["bank", "export", "milk", "--out", str(first), "--database-url", laptop], capsys)
    said = _moved(["bank", "import", "milk", str(first), "--database-url", postgres_url], capsys)
    assert "imported 2505 memories into bank 'milk'" in said
    _moved(["bank", "export", "milk", "--out", str(second), "--database-url", postgres_url], capsys)
    _moved(["bank", "import", "milk", str(second), "--database-url", back], capsys)
    _moved(["bank", "export", "milk", "--out", str(third), "--database-url", back], capsys)

    assert first.read_bytes() == second.read_bytes() == third.read_bytes()
    lines = [json.loads(line) for line in first.read_text().splitlines()]
    assert len(lines) == 2_505 and [line["position"] for line in lines[:3]] == [0, 2, 3]
    assert lines[3]["version"] == 2 and lines[3]["history"][0]["text"] == "Joe left the milk."
    assert lines[0]["metadata"] == {"s": "é 🥛"} and lines[3]["metadata"] == {"s": "fixed"}

    app = create_app(Settings(database_url=postgres_url, auth_disabled=True), shipped_checkpoint)
    with TestClient(app) as server:  # the moved bank answers, and takes the next write after its positions
        answer = server.post("/ask", json={"bank": "milk", "question": "Where is the milk?"}).json()
        assert "Joe left the milk there." in [e["text"] for e in answer["evidence"]]
        added = server.post("/memories", json={"bank": "milk", "statements": ["Joe went home."]}).json()
        assert added["memories"][0]["position"] == 2_506
    app.state.engine.dispose()


def test_export_writes_to_standard_output_without_out(tmp_path, shipped_checkpoint, capsysbinary):
    url = f"sqlite:///{tmp_path / 'laptop.db'}"
    app = create_app(Settings(database_url=url, auth_disabled=True), shipped_checkpoint)
    with TestClient(app) as laptop:
        laptop.post("/memories", json={"bank": "milk", "statements": MILK_STORY})
        exported = laptop.get("/banks/milk/export").content
    app.state.engine.dispose()
    assert main(["bank", "export", "milk", "--database-url", url]) == 0
    assert capsysbinary.readouterr().out == exported  # the same bytes as GET /banks/{bank}/export


def test_a_bad_file_is_refused_naming_its_line_and_nothing_is_written(tmp_path, postgres_url, capsys):
    line = {"position": 0, "text": "Mary went home.", "created_at": "2026-11-25T10:00:00Z"}
    lines = [{**line, "position": k} for k in range(1_500)]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(json.dumps(x) + "\n" for x in [*lines[:1_200], {**line, "position": 7}]))
    assert main(["bank", "import", "mary", str(bad), "--database-url", postgres_url]) == 2
    assert "memnn bank: line 1201: position: position 7 appears twice" in capsys.readouterr().err
    assert main(["bank", "export", "mary", "--database-url", postgres_url]) == 2
    assert "bank 'mary' does not exist" in capsys.readouterr().err  # the first 1,200 lines were not left behind

    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert main(["bank", "import", "mary", str(good), "--database-url", postgres_url]) == 0
    assert main(["bank", "import", "mary", str(good), "--database-url", postgres_url]) == 2
    assert "already holds 1500 memories" in capsys.readouterr().err
    assert main(["bank", "export", "mary", "--database-url", f"sqlite:///{tmp_path / 'none.db'}"]) == 2
    assert "no memnn schema" in capsys.readouterr().err
