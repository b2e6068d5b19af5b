"""A hand-written held-out set through the REST API, one fresh bank per case.

    python -m bench.heldout [--set models/heldout/world-dev.jsonl] [--model PATH] [--json OUT]

Each case (``models/heldout/*.jsonl``: statements, a question, accepted answers, the supporting
statements) is posted to its own bank and asked once. An answer is right when it equals an accepted
one, compared case-insensitively, without surrounding punctuation, digits read as number words
("none" and "zero" alike), a list as a set of its words. Evidence recall is the share of a case's
supporting statements among the memories the answer names as evidence. Prints, per category,
accuracy and evidence recall, and their means over the categories.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient
from tqdm import tqdm

from app.settings import PROJECT_ROOT, Settings

from .server import in_process

DEV_SET = PROJECT_ROOT / "models" / "heldout" / "world-dev.jsonl"
NUMBERS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
SAME = {"none": "zero"}  # bAbI's count of nothing is "none"


@dataclass
class Scored:
    id: str
    category: str
    right: bool
    recall: float
    answer: str
    expected: list[str]


def normalized(answer: str) -> frozenset[str]:
    """An answer as the set of its words, compared as the module docstring says."""
    words = re.split(r"\s*,\s*|\s+and\s+", answer.strip().lower())
    out = set()
    for word in words:
        word = word.strip(" .!?;:'\"")
        if word.isdigit() and int(word) < len(NUMBERS):
            word = NUMBERS[int(word)]
        out.add(SAME.get(word, word))
    return frozenset(w for w in out if w)


def score(client: TestClient, case: dict[str, object], bank: str) -> Scored:
    statements = list(case["statements"])  # type: ignore[call-overload]
    for first in range(0, len(statements), 1000):
        posted = client.post("/memories", json={"bank": bank, "statements": statements[first : first + 1000]})
        posted.raise_for_status()
    body = client.post("/ask", json={"bank": bank, "question": case["question"]}).json()
    answer = str(body.get("answer", body.get("detail", "")))
    expected = [str(a) for a in case["answers"]]  # type: ignore[attr-defined]
    supporting = set(case["supporting"])  # type: ignore[call-overload]
    found = {e["position"] for e in body.get("evidence", [])}
    recall = len(supporting & found) / len(supporting) if supporting else 1.0
    right = normalized(answer) in {normalized(a) for a in expected}
    return Scored(str(case["id"]), str(case["category"]), right, recall, answer, expected)


def run(cases: list[dict[str, object]], settings: Settings) -> list[Scored]:
    scored = []
    with in_process(settings, "heldout") as client:
        for number, case in enumerate(tqdm(cases, desc="cases", leave=False)):
            scored.append(score(client, case, f"case-{number}"))
    return scored


def summary(scored: list[Scored]) -> dict[str, object]:
    by: dict[str, list[Scored]] = defaultdict(list)
    for row in scored:
        by[row.category].append(row)
    categories = {
        name: {
            "accuracy": sum(r.right for r in rows) / len(rows),
            "evidence_recall": sum(r.recall for r in rows) / len(rows),
            "cases": len(rows),
        }
        for name, rows in sorted(by.items())
    }
    return {
        "categories": categories,
        "mean_accuracy": sum(c["accuracy"] for c in categories.values()) / len(categories),
        "mean_evidence_recall": sum(c["evidence_recall"] for c in categories.values()) / len(categories),
        "lowest_category": min(c["accuracy"] for c in categories.values()),
    }


def table(result: dict[str, object]) -> str:
    lines = ["| category | cases | accuracy % | evidence recall |", "|---|---:|---:|---:|"]
    categories: dict[str, dict[str, float]] = result["categories"]  # type: ignore[assignment]
    for name, row in categories.items():
        lines.append(f"| {name} | {row['cases']:.0f} | {100 * row['accuracy']:.1f} | {row['evidence_recall']:.3f} |")
    lines.append(
        f"| **mean over categories** | | **{100 * result['mean_accuracy']:.1f}** | "  # type: ignore[operator]
        f"**{result['mean_evidence_recall']:.3f}** |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", type=Path, default=DEV_SET, help="the held-out file (default: the dev set)")
    parser.add_argument("--model", type=Path, default=None, help="checkpoint (default: MEMNN_MODEL_PATH's)")
    parser.add_argument("--json", type=Path, default=None, help="also write every case's result here")
    parser.add_argument("--show-wrong", action="store_true", help="print each wrong case (never for the test set)")
    args = parser.parse_args()
    settings = Settings()
    if args.model is not None:
        settings = settings.model_copy(update={"model_path": args.model})
    cases = [json.loads(line) for line in args.set.read_text(encoding="utf-8").splitlines() if line.strip()]
    scored = run(cases, settings)
    result = summary(scored)
    print(f"{args.set.name}, {len(cases)} cases, model {settings.model_path.name}\n")
    print(table(result))
    if args.show_wrong:
        if "test" in args.set.name:
            raise SystemExit("the test set's cases are not shown: it is never tuned on")
        for row in scored:
            if not row.right:
                print(f"{row.id}: answered {row.answer!r}, expected {row.expected}")
    if args.json is not None:
        rows = [vars(row) for row in scored]
        args.json.write_text(json.dumps({"summary": result, "cases": rows}, indent=1))


if __name__ == "__main__":
    main()
