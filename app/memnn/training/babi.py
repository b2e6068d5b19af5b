"""Reader for the bAbI tasks (v1.2 layout): stories, questions, answers, supporting facts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..features import EncodedQuestion, encode_question
from ..text import Vocabulary, answer_items, tokenize

TASK_NAMES = {
    1: "single-supporting-fact",
    2: "two-supporting-facts",
    3: "three-supporting-facts",
    4: "two-arg-relations",
    5: "three-arg-relations",
    6: "yes-no-questions",
    7: "counting",
    8: "lists-sets",
    9: "simple-negation",
    10: "indefinite-knowledge",
    11: "basic-coreference",
    12: "conjunction",
    13: "compound-coreference",
    14: "time-reasoning",
    15: "basic-deduction",
    16: "basic-induction",
    17: "positional-reasoning",
    18: "size-reasoning",
    19: "path-finding",
    20: "agents-motivations",
}


@dataclass(frozen=True)
class Question:
    """One question with the statements written before it (the memory it may use)."""

    task: int
    story_id: int
    statements: tuple[str, ...]  # every statement of the story so far, in write order
    question: str
    answer: str
    supporting: tuple[int, ...]  # indices into ``statements``, in the order of the labels


def parse_task_spec(spec: str) -> list[int]:
    """``"1-20"``, ``"1,2,6"`` or ``"1-3,7"`` -> sorted task numbers."""
    tasks: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not match:
            raise ValueError(f"bad task list {spec!r}: use numbers and ranges such as 1-20 or 1,2,6")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if first > last:
            raise ValueError(f"bad task range {part!r}: the first number must not exceed the last")
        tasks.update(range(first, last + 1))
    if not tasks:
        raise ValueError(f"bad task list {spec!r}: it names no task")
    return sorted(tasks)


def parse_repeat(spec: str) -> dict[int, int]:
    """``"17:3,19:3"`` -> {17: 3, 19: 3}: tasks and how many times an epoch their questions come."""
    repeat = {}
    for part in spec.split(","):
        match = re.fullmatch(r"\s*(\d+):(\d+)\s*", part)
        if not match or int(match.group(2)) < 1:
            raise ValueError(f"bad repeat {part!r} in {spec!r}: use TASK:TIMES pairs such as 17:3,19:3")
        repeat[int(match.group(1))] = int(match.group(2))
    return repeat


def task_file(data_dir: Path, task: int, split: str) -> Path:
    """The file ``qa{task}_*_{split}.txt`` under ``data_dir``."""
    matches = sorted(Path(data_dir).glob(f"qa{task}_*_{split}.txt"))
    if not matches:
        raise FileNotFoundError(f"no file qa{task}_*_{split}.txt under {data_dir}")
    if len(matches) > 1:
        raise FileNotFoundError(f"several files match qa{task}_*_{split}.txt under {data_dir}")
    return matches[0]


def parse_lines(lines: list[str], task: int) -> list[Question]:
    """Parse bAbI lines; line ids restart at 1 where a new story begins."""
    questions: list[Question] = []
    statements: list[str] = []
    index_of_line: dict[int, int] = {}
    story_id = -1
    for raw in lines:
        raw = raw.rstrip("\n")
        if not raw.strip():
            continue
        line_id_text, _, rest = raw.partition(" ")
        line_id = int(line_id_text)
        if line_id == 1:
            statements, index_of_line, story_id = [], {}, story_id + 1
        if "\t" in rest:
            question, answer, support = rest.split("\t")[:3]
            questions.append(
                Question(
                    task=task,
                    story_id=story_id,
                    statements=tuple(statements),
                    question=question.strip(),
                    answer=answer.strip().lower(),
                    supporting=tuple(index_of_line[int(i)] for i in support.split()),
                )
            )
        else:
            index_of_line[line_id] = len(statements)
            statements.append(rest.strip())
    return questions


def format_lines(questions: list[Question]) -> list[str]:
    """Questions (of one task) as bAbI lines, each story once with its questions where they were asked:
    what ``parse_lines`` reads back as the same questions."""
    lines: list[str] = []
    stories: dict[int, list[Question]] = {}
    for q in questions:
        stories.setdefault(q.story_id, []).append(q)
    for asked in stories.values():
        asked.sort(key=lambda q: len(q.statements))
        statements = max((q.statements for q in asked), key=len)
        line_of: dict[int, int] = {}
        written, number = 0, 0
        for q in asked:
            for index in range(written, len(q.statements)):
                number += 1
                line_of[index] = number
                lines.append(f"{number} {statements[index]}")
            written = len(q.statements)
            number += 1
            support = " ".join(str(line_of[i]) for i in q.supporting)
            lines.append(f"{number} {q.question}\t{q.answer}\t{support}")
    return lines


def load_task(data_dir: Path, task: int, split: str) -> list[Question]:
    path = task_file(data_dir, task, split)
    return parse_lines(path.read_text(encoding="utf-8").splitlines(), task)


def load_tasks(data_dir: Path, tasks: list[int], split: str) -> list[Question]:
    return [q for task in tasks for q in load_task(data_dir, task, split)]


def split_validation(questions: list[Question], fraction: float) -> tuple[list[Question], list[Question]]:
    """Hold out the last ``fraction`` of each task's stories (whole stories, so no leak)."""
    train: list[Question] = []
    valid: list[Question] = []
    for task in sorted({q.task for q in questions}):
        of_task = [q for q in questions if q.task == task]
        n_stories = of_task[-1].story_id + 1
        first_held_out = n_stories - max(1, round(n_stories * fraction))
        train += [q for q in of_task if q.story_id < first_held_out]
        valid += [q for q in of_task if q.story_id >= first_held_out]
    return train, valid


def words_of(questions: list[Question]) -> list[str]:
    """Every token of statements, questions and answers, in first-seen order."""
    seen: dict[str, None] = {}
    for q in questions:
        for text in (*q.statements, q.question):
            for token in tokenize(text):
                seen.setdefault(token, None)
        for item in answer_items(q.answer):  # a list's words; a path is one word R composes from its parts
            seen.setdefault(item, None)
            for part in item.split(","):
                seen.setdefault(part, None)
    return list(seen)


def encode_questions(
    questions: list[Question], vocabulary: Vocabulary, window: int | None = None
) -> list[EncodedQuestion]:
    """Questions -> ids. ``window`` keeps only the most recent statements (training speed), and every
    statement back to the earliest supporting fact: a fact far back is still a fact to learn from."""
    tokens_of: dict[str, list[str]] = {}

    def tokens(text: str) -> list[str]:
        if text not in tokens_of:
            tokens_of[text] = tokenize(text)
        return tokens_of[text]

    encoded = []
    for q in questions:
        first = 0 if window is None else min([max(0, len(q.statements) - window), *q.supporting])
        supporting = [i - first for i in q.supporting if i >= first]
        statements = [tokens(s) for s in q.statements[first:]]
        encoded.append(encode_question(statements, tokens(q.question), q.answer, supporting, vocabulary))
    return encoded
