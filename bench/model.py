"""Model benchmark: evaluation time for every bAbI test question, optionally a full training run.

    python -m bench.model [--model PATH] [--train]

Prints a markdown table; figures are wall-clock seconds on this machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from app.memnn import checkpoint
from app.memnn.training.babi import encode_questions, load_tasks
from app.memnn.training.evaluate import predict, summary, task_results
from app.memnn.training.train import TrainConfig, train
from app.settings import Settings


def main() -> None:
    settings = Settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=settings.model_path)
    parser.add_argument("--data", type=Path, default=settings.babi_dir / "en")
    parser.add_argument("--train", action="store_true", help="also time a full training run on tasks 1-20")
    args = parser.parse_args()
    torch.set_num_threads(2)
    rows = []

    loaded = checkpoint.load(args.model)
    questions = load_tasks(args.data, list(range(1, 21)), "test")
    for beam in sorted({loaded.model.config.beam, 1}):
        started = time.perf_counter()
        examples = encode_questions(questions, loaded.vocabulary)
        predictions = predict(loaded.model, loaded.vocabulary, examples, beam=beam)
        seconds = time.perf_counter() - started
        result = summary(task_results(questions, examples, predictions))
        accuracy = 100 * float(result["mean_accuracy"])  # type: ignore[arg-type]
        label = f"evaluate {len(questions)} test questions, beam {beam}"
        rows.append((label, f"{seconds:.1f} s", f"mean accuracy {accuracy:.1f}%, {result['passed']} passed"))

    if args.train:
        config = TrainConfig(**loaded.metadata.get("train_config", {}))
        started = time.perf_counter()
        model_config = {k: v for k, v in loaded.model.config.to_dict().items() if k != "vocab_size"}
        trained = train(load_tasks(args.data, list(range(1, 21)), "train"), model_config, config, log=lambda _: None)
        seconds = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as folder:
            saved = checkpoint.save(
                checkpoint.Checkpoint(trained.model, trained.vocabulary, "bench"), Path(folder) / "m.pt"
            )
        rows.append((f"train tasks 1-20, {config.epochs} epochs", f"{seconds:.0f} s", f"version {saved}"))

    print("| what | time | result |\n|---|---:|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
