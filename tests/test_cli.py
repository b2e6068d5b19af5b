"""The console script: every command documented in the README, eval's JSON shape, train end to end."""

import json
import re
from pathlib import Path

import pytest

from app.cli import build_parser, main
from app.memnn import checkpoint
from app.memnn.training.babi import encode_questions
from app.memnn.training.evaluate import predict, task_results
from app.memnn.training.world.stories import WORLD_TASKS, generate
from app.settings import DEFAULT_MODEL, PROJECT_ROOT, Settings


def _commands() -> list[str]:
    parser = build_parser(Settings())
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)


def test_every_command_is_in_the_readme():
    readme = (PROJECT_ROOT / "README.md").read_text()
    for command in _commands():
        assert re.search(rf"`memnn {command}\b", readme), command


def test_every_setting_is_in_the_readme_configuration_table():
    readme = (PROJECT_ROOT / "README.md").read_text()
    for name in Settings.model_fields:
        assert re.search(rf"^\| [^|]*`MEMNN_{name.upper()}`", readme, re.M), name


def test_eval_json_has_the_documented_shape(babi_dir, tmp_path, capsys):
    lines = (babi_dir / "en" / "qa1_single-supporting-fact_test.txt").read_text().splitlines()[:60]
    (tmp_path / "qa1_renamed_test.txt").write_text("\n".join(lines) + "\n")
    assert main(["eval", "--data", str(tmp_path), "--tasks", "1", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {"tasks", "mean_accuracy", "passed"}
    assert set(document["tasks"][0]) == {"task", "name", "accuracy", "n"}
    assert document["tasks"][0]["task"] == 1 and document["tasks"][0]["name"] == "single-supporting-fact"
    assert document["tasks"][0]["accuracy"] >= 0.95 and document["passed"] == 1


def test_eval_reports_missing_files_clearly(tmp_path, capsys):
    assert main(["eval", "--data", str(tmp_path), "--tasks", "2"]) == 2
    assert "qa2_" in capsys.readouterr().err


def test_a_bad_setting_stops_the_command_naming_the_variable(monkeypatch, capsys):
    for value, problem in [("0", "greater than or equal to 1"), ("lots", "valid integer")]:
        monkeypatch.setenv("MEMNN_CACHE_MB", value)
        assert main(["serve"]) == 2
        error = capsys.readouterr().err
        assert error.startswith(f"memnn: MEMNN_CACHE_MB='{value}': ") and problem in error, error


@pytest.mark.slow
def test_train_on_one_task_reaches_a_floor(babi_dir, tmp_path, capsys):
    """CI-sized training run: task 1 for two epochs, then its test set through `memnn eval`."""
    out = tmp_path / "task1.pt"
    assert main(["train", "--data", str(babi_dir / "en"), "--tasks", "1", "--epochs", "2", "--out", str(out)]) == 0
    trained = checkpoint.load(out)
    assert trained.metadata["tasks"] == [1] and trained.version != checkpoint.load(DEFAULT_MODEL).version
    capsys.readouterr()
    assert main(["eval", "--model", str(out), "--data", str(babi_dir / "en"), "--tasks", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["mean_accuracy"] >= 0.9


def test_shipped_model_card_names_the_reproducing_command():
    card = (Path(DEFAULT_MODEL).parent / "MODEL_CARD.md").read_text()
    assert "memnn train" in card and "memnn eval" in card


@pytest.mark.slow
def test_train_with_the_generated_world_learns_where_people_are_the_same_way_twice(babi_dir, tmp_path):
    """CI-sized run on bAbI's task 1 and the simulated world drawn anew each epoch: the generator and
    the trainer keep working together, the model answers new stories of the world, and a seed makes
    the same model."""
    command = ["train", "--data", str(babi_dir / "en"), "--tasks", "1", "--world", "1500", "--epochs", "3"]
    command += ["--dim", "32", "--hidden", "64", "--latest-mentions"]
    first, again = tmp_path / "world.pt", tmp_path / "again.pt"
    assert main([*command, "--out", str(first)]) == 0 and main([*command, "--out", str(again)]) == 0
    trained = checkpoint.load(first)
    assert trained.version == checkpoint.load(again).version
    assert trained.metadata["world"] == {"questions": 1500, "seed": 1}
    assert "journeyed" in trained.vocabulary and "north" in trained.vocabulary  # bAbI's words and the world's
    assert "zanele" not in trained.vocabulary  # people, places and objects stay unseen words

    stories = [q for q in generate("users", 2000, seed=77) if q.task == WORLD_TASKS["where-person"]]
    examples = encode_questions(stories, trained.vocabulary)
    predictions = predict(trained.model, trained.vocabulary, examples)
    [result] = task_results(stories, examples, predictions)
    assert result.accuracy >= 0.5, result  # 58% here (the same model on every run: it is deterministic)
