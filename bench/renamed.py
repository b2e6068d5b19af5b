"""Renamed bAbI test stories through the REST API, one fresh bank per story.

    python -m bench.renamed [--tasks 1,2,6,11,12,13] [--stories N]

Every person, place and object of a story is replaced by a word no training file contains
(`app/memnn/training/renamed.py`); prints per-task accuracy as a markdown table.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tqdm import tqdm

from app.memnn.text import answer_items, tokenize
from app.memnn.training.babi import TASK_NAMES, load_task, parse_task_spec
from app.memnn.training.renamed import rename
from app.settings import Settings

from .server import in_process


def training_words(babi_dir: Path) -> set[str]:
    words: set[str] = set()
    for path in babi_dir.glob("*/qa*_train.txt"):
        words.update(tokenize(path.read_text(encoding="utf-8")))
    return words


def main() -> None:
    settings = Settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", default="1,2,6,11,12,13")
    parser.add_argument("--stories", type=int, default=None, help="first N test stories per task (default all)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    forbidden = training_words(settings.babi_dir)
    rows = []
    with in_process(settings, "renamed") as client:
        for task in parse_task_spec(args.tasks):
            questions = load_task(settings.babi_dir / "en", task, "test")
            if args.stories is not None:
                questions = [q for q in questions if q.story_id < args.stories]
            renamed = rename(questions, forbidden, args.seed)
            correct = 0
            written: dict[str, int] = {}  # bank -> statements posted so far
            for q in tqdm(renamed, desc=f"task {task}", leave=False):
                bank = f"t{task}-s{q.story_id}"
                new = list(q.statements[written.get(bank, 0) :])
                if new:
                    client.post("/memories", json={"bank": bank, "statements": new}).raise_for_status()
                    written[bank] = len(q.statements)
                answer = client.post("/ask", json={"bank": bank, "question": q.question}).json()["answer"]
                correct += sorted(answer.lower().split(",")) == sorted(answer_items(q.answer.lower()))
            rows.append((task, TASK_NAMES[task], correct / len(renamed), len(renamed)))
    print("| task | name | accuracy % | questions |\n|---:|---|---:|---:|")
    for task, name, accuracy, n in rows:
        print(f"| {task} | {name} | {100 * accuracy:.1f} | {n} |")
    print(f"| | **mean** | **{100 * sum(r[2] for r in rows) / len(rows):.1f}** | |")


if __name__ == "__main__":
    main()
