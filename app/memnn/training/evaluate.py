"""Per-task accuracy on bAbI and the results table beside the paper's figures."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import torch

from ..features import EncodedQuestion, to_tensors
from ..model import MemNN, QuestionBatch, answer_candidates, answered
from ..text import PAD_ID, UNK_ID, Vocabulary, answer_items
from .babi import TASK_NAMES, Question

PASS_ACCURACY = 0.95  # the bAbI paper's definition of a passed task

# bAbI paper (1502.05698) Table 3, strongly supervised MemNN with AM+NG+NL, 1k training examples.
PAPER_ACCURACY = {
    1: 100, 2: 100, 3: 100, 4: 100, 5: 98, 6: 100, 7: 85, 8: 91, 9: 100, 10: 98,
    11: 100, 12: 100, 13: 100, 14: 99, 15: 100, 16: 100, 17: 65, 18: 95, 19: 36, 20: 100,
}  # fmt: skip


@dataclass
class Prediction:
    answers: list[int]  # vocabulary ids of the answer's words (UNK_ID for a word outside the vocabulary)
    supporting: list[int]
    answer_matches: list[int] = field(default_factory=list)  # per word: its match id where UNK_ID, else PAD_ID

    def is_right(self, example: EncodedQuestion) -> bool:
        """The same set of answer words (a list's order aside)."""
        return _words(self.answers, self.answer_matches) == _words(example.answers, example.answer_matches)


def _words(ids: list[int], matches: list[int]) -> set[tuple[str, int]]:
    return {("unseen", match) if word == UNK_ID else ("word", word) for word, match in zip(ids, matches, strict=True)}


@dataclass
class TaskResult:
    task: int
    name: str
    accuracy: float
    supporting_accuracy: float
    n: int


def predict(
    model: MemNN,
    vocabulary: Vocabulary,
    examples: list[EncodedQuestion],
    batch_size: int = 64,
    beam: int | None = None,
) -> list[Prediction]:
    """Inference over examples, batched by similar memory count to limit padding."""
    model.eval()
    candidates = answer_candidates(len(vocabulary))
    order = sorted(range(len(examples)), key=lambda i: len(examples[i].memory_words))
    predictions: list[Prediction | None] = [None] * len(examples)
    for start in range(0, len(order), batch_size):
        indices = order[start : start + batch_size]
        batch = to_tensors([examples[i] for i in indices])
        memories = model.memory_batch(batch.memory_words, batch.memory_matches, batch.memory_mask)
        with torch.no_grad():
            result = model.infer(
                memories, QuestionBatch(batch.question_words, batch.question_matches), candidates, beam=beam
            )
        for row, i in enumerate(indices):
            chosen = [int(m) for m in result.chosen[row] if m >= 0]
            words, unseen = [], []
            for column in answered(result.answer_scores[row], int(result.answer_sizes[row])):
                if column >= len(candidates):  # a word of the chosen memories outside the vocabulary
                    words.append(UNK_ID)
                    unseen.append(int(result.unseen[row, column - len(candidates)]))
                elif not model.config.answer_sizes:  # R's one best word, which may be a list ("apple,milk")
                    items = vocabulary.encode(answer_items(vocabulary.words[int(candidates[column])]))
                    words += items
                    unseen += [PAD_ID] * len(items)
                else:
                    words.append(int(candidates[column]))
                    unseen.append(PAD_ID)
            predictions[i] = Prediction(words, chosen, unseen)
    return [p for p in predictions if p is not None]


def task_results(
    questions: list[Question], examples: list[EncodedQuestion], predictions: list[Prediction]
) -> list[TaskResult]:
    results = []
    for task in sorted({q.task for q in questions}):
        rows = [i for i, q in enumerate(questions) if q.task == task]
        correct = sum(predictions[i].is_right(examples[i]) for i in rows)
        supported = sum(set(predictions[i].supporting) == set(examples[i].supporting) for i in rows)
        results.append(
            TaskResult(
                task, TASK_NAMES.get(task, f"task-{task}"), correct / len(rows), supported / len(rows), len(rows)
            )
        )
    return results


def summary(results: list[TaskResult]) -> dict[str, object]:
    """The ``memnn eval --json`` document."""
    return {
        "tasks": [{"task": r.task, "name": r.name, "accuracy": round(r.accuracy, 4), "n": r.n} for r in results],
        "mean_accuracy": round(sum(r.accuracy for r in results) / len(results), 4),
        "passed": sum(r.accuracy >= PASS_ACCURACY for r in results),
    }


def results_json(results: list[TaskResult]) -> str:
    return json.dumps(summary(results))


def results_table(results: list[TaskResult]) -> str:
    """Markdown table: task, name, accuracy, supporting-fact accuracy, the paper's AM+NG+NL."""
    lines = [
        "| task | name | accuracy % | supporting facts % | paper AM+NG+NL % |",
        "|---:|---|---:|---:|---:|",
    ]
    for r in results:
        paper = PAPER_ACCURACY.get(r.task)
        lines.append(
            f"| {r.task} | {r.name} | {100 * r.accuracy:.1f} | {100 * r.supporting_accuracy:.1f} | "
            f"{paper if paper is not None else '-'} |"
        )
    mean = 100 * sum(r.accuracy for r in results) / len(results)
    passed = sum(r.accuracy >= PASS_ACCURACY for r in results)
    paper_rows = [PAPER_ACCURACY[r.task] for r in results if r.task in PAPER_ACCURACY]
    paper_mean = f"{sum(paper_rows) / len(paper_rows):.1f}" if paper_rows else "-"
    paper_passed = sum(p >= 95 for p in paper_rows)
    lines.append(f"| | **mean** | **{mean:.1f}** | | {paper_mean} |")
    lines.append(f"| | **passed (>= 95%)** | **{passed} / {len(results)}** | | {paper_passed} / {len(paper_rows)} |")
    return "\n".join(lines)
