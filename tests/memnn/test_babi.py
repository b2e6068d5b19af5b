import random

import pytest

from app.memnn.training.babi import load_task, parse_lines, parse_repeat, parse_task_spec, split_validation, task_file
from app.memnn.training.train import task_batches

LINES = [
    "1 Mary moved to the bathroom.",
    "2 John went to the hallway.",
    "3 Where is Mary? \tbathroom\t1",
    "4 Daniel went back to the hallway.",
    "5 Where is Daniel? \thallway\t4",
    "1 The office is east of the hallway.",
    "2 The kitchen is north of the office.",
    "3 How do you go from the kitchen to the hallway?\ts,w\t2 1",
]


def test_parse_lines_builds_questions_with_their_memories():
    questions = parse_lines(LINES, task=1)
    assert [q.answer for q in questions] == ["bathroom", "hallway", "s,w"]
    assert questions[1].statements == (
        "Mary moved to the bathroom.",
        "John went to the hallway.",
        "Daniel went back to the hallway.",
    )
    assert questions[1].supporting == (2,)  # line 4 is the third statement: questions take no slot
    assert questions[2].story_id == 1 and questions[2].supporting == (1, 0)


def test_task_spec_takes_ranges_and_lists():
    assert parse_task_spec("1-3,7") == [1, 2, 3, 7]
    assert parse_task_spec("20") == [20]
    with pytest.raises(ValueError, match="bad task"):
        parse_task_spec("3-1")
    with pytest.raises(ValueError, match="bad task"):
        parse_task_spec("one")


def test_repeated_tasks_come_that_many_times_an_epoch_each_time_in_batches_of_their_own():
    assert parse_repeat("17:3, 19:2") == {17: 3, 19: 2}
    for bad in ("17", "17:0", "a:2"):
        with pytest.raises(ValueError, match="TASK:TIMES"):
            parse_repeat(bad)
    tasks = [1] * 10 + [19] * 10
    batches = task_batches([], tasks, 4, random.Random(0), repeat={19: 3})
    seen = [i for batch in batches for i in batch]
    assert sorted(seen) == list(range(10)) + sorted(list(range(10, 20)) * 3)
    assert all(len({tasks[i] for i in batch}) == 1 for batch in batches)


def test_task_files_are_found_by_pattern_in_any_directory(tmp_path):
    (tmp_path / "qa1_renamed-anything_train.txt").write_text("\n".join(LINES) + "\n")
    assert task_file(tmp_path, 1, "train").name == "qa1_renamed-anything_train.txt"
    assert len(load_task(tmp_path, 1, "train")) == 3
    with pytest.raises(FileNotFoundError, match="qa2_"):
        task_file(tmp_path, 2, "train")


def test_validation_split_holds_out_whole_stories():
    questions = parse_lines(LINES * 5, task=1)
    train, valid = split_validation(questions, 0.2)
    assert {q.story_id for q in train}.isdisjoint({q.story_id for q in valid})
    assert len(train) + len(valid) == len(questions)
