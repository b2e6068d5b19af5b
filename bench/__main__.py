"""Measure the running system and write BENCHMARKS.md and a plot of /ask latency against bank size.

    python -m bench [--sizes 10,1000,10000,100000,1000000] [--out BENCHMARKS.md] [--plot docs/latency.png]

Every figure is measured beside its reference in the same run and reported as a ratio too,
because absolute times on a shared machine drift. See BENCHMARKS.md for what each row means.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import torch
from tqdm import tqdm

from app.memnn import checkpoint as checkpoints
from app.memnn.model import QuestionBatch, answer_candidates
from app.memnn.serving.scan import BankScan, ScanScratch, infer
from app.memnn.training.babi import encode_questions, load_tasks
from app.memnn.training.evaluate import predict
from app.service import MemoryService
from app.settings import Settings
from app.store.bank_matrix import BankMatrix
from app.store.database import make_engine, session_factory

from . import sections, server, workload
from .measure import ms, percentile, raw_insert_rate, resident_bytes, timed

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
INGEST_REPEATS = 3


@dataclass
class Report:
    sections: list[str] = field(default_factory=list)
    latency: dict[int, float] = field(default_factory=dict)  # bank size -> /ask p50 (ms)
    http_floor: float = 0.0  # GET /healthz p50 (ms) on the same server and client: what any request costs
    floor: dict[int, float] = field(default_factory=dict)  # bank size -> matvec (ms)
    o_step: dict[int, float] = field(default_factory=dict)
    cold: dict[int, float] = field(default_factory=dict)  # bank size -> seconds to build its matrix
    resident: dict[int, int] = field(default_factory=dict)  # bank size -> server VmRSS with it loaded
    first_ask: dict[int, float] = field(default_factory=dict)
    restarted: dict[int, float] = field(default_factory=dict)  # bank size -> first /ask after a restart
    restarted_resident: dict[int, int] = field(default_factory=dict)
    ingest: dict[tuple[str, int], float] = field(default_factory=dict)  # (database, batch) -> rate

    def table(self, title: str, header: list[str], rows: list[list[str]], note: str = "") -> None:
        lines = [f"## {title}", ""]
        if note:
            lines += [note, ""]
        lines += ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        self.sections.append("\n".join(lines))


def fill(client: httpx.Client, bank: str, lines: list[str], batch: int = 1000, label: str = "") -> float:
    """POST the lines in batches; returns statements per second."""
    started = time.perf_counter()
    for start in tqdm(range(0, len(lines), batch), desc=label or f"fill {bank}", leave=False):
        reply = client.post("/memories", json={"bank": bank, "statements": lines[start : start + batch]})
        reply.raise_for_status()
    return len(lines) / (time.perf_counter() - started)


# -- /ask over HTTP, the O step beside the floor, memory and the cold load -----------------


def ask_section(report: Report, sizes: list[int], asks: int, folder: Path) -> None:
    database = f"sqlite:///{folder / 'ask.db'}"
    snapshots = str(folder / "snapshots")
    port = server.free_port()
    process = server.start(database, port, MEMNN_SNAPSHOT_DIR=snapshots)  # saves its large banks as it stops
    rows, o_rows, hash_rows = [], [], []
    checkpoint = checkpoints.load(Settings().model_path)
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600)
        floor = timed(lambda: client.get("/healthz").raise_for_status(), 500)
        report.http_floor = 1e3 * percentile(floor, 50)
        for size in sizes:
            lines = workload.statements(size, seed=size)
            bank = f"size-{size}"
            fill(client, bank, lines)
            client.post("/ask", json={"bank": bank, "question": "Where is Kaka?"}).raise_for_status()
            latencies = []
            for question in tqdm(workload.questions(lines, asks), desc=f"/ask {size}", leave=False):
                started = time.perf_counter()
                client.post("/ask", json={"bank": bank, "question": question}).raise_for_status()
                latencies.append(time.perf_counter() - started)
            p50 = percentile(latencies, 50)
            report.latency[size] = 1e3 * p50
            rows.append([f"{size:,}", ms(p50), ms(percentile(latencies, 95)), ms(percentile(latencies, 99))])
            loaded = InProcess.load(report, checkpoint, database, bank, size)
            o_rows.append(o_step_row(report, loaded, lines, size))
            hash_rows.append(hashing_row(loaded, lines, min(asks, 100)))
        client.close()
    finally:
        server.stop(process)
    memory_rows = [memory_row(report, database, snapshots, size) for size in sizes]
    base = report.latency[sizes[0]]
    report.table(
        "/ask over HTTP",
        ["statements in the bank", "p50", "p95", "p99"],
        rows,
        f"`POST /ask` with a keep-alive client against `memnn serve` on SQLite, {asks} questions per bank "
        f'("Where is X?" about people of the bank). p50 at the largest bank is '
        f"{report.latency[sizes[-1]] / base:.1f}x that at {sizes[0]}. The reference: an empty request "
        f"(`GET /healthz`) to the same server from the same client, p50 {report.http_floor:.2f} ms.",
    )
    report.table(
        "The O step beside the floor",
        ["statements", "cold load", "O step (one hop)", "numpy floor", "ratio", "whole O (every hop, beam)", "hops"],
        o_rows,
        "Cold load is building the bank's matrix from its rows in the database (`MemoryService._rebuild`). "
        "The O step is one hop of s_O over every memory of the bank (`BankScan.hop_scores`), the floor "
        "a bare numpy matrix-vector product over the same cached Φy matrix; medians in one process. "
        "Whole O is the beam search of a question, all its hops: the median over 50 questions (10 at "
        "1,000,000) asked one after another, sharing the bank's scan state as the service does; hops: "
        "those of the first question's answer.",
    )
    report.table(
        "Word hashing against the exact scan",
        ["statements", "same memories chosen", "same answer", "exact O", "hashed O", "speed-up"],
        hash_rows,
        "`MEMNN_WORD_HASHING=true`: O scores only the memories that hold a word of the question or of a "
        "previous fact near it, the newest, and the previous facts' neighbours (the paper's hashing by words).",
    )
    report.table(
        "Memory and the cold load",
        [
            "statements",
            "server at rest",
            "with the bank loaded",
            "bytes per statement",
            "first /ask: cold",
            "restarted",
            "VmRSS restarted",
        ],
        memory_rows,
        "A fresh `memnn serve` per bank size, snapshots off: its VmRSS at rest, then after the first `/ask` of "
        "the bank, which builds the bank's matrix from the database (cold); bytes per statement is the "
        "difference over the size. Restarted: the first `/ask` of a fresh server that finds the snapshot an "
        "earlier server saved as it stopped (banks of 100,000 statements or more), and its VmRSS then.",
    )


def memory_row(report: Report, database: str, snapshots: str, size: int) -> list[str]:
    at_rest, loaded, cold = first_ask(database, size, MEMNN_SNAPSHOT_DIR="")
    restarted = None
    if size >= 100_000:
        _, report.restarted_resident[size], restarted = first_ask(database, size, MEMNN_SNAPSHOT_DIR=snapshots)
        report.restarted[size] = restarted
    report.resident[size], report.first_ask[size] = loaded, cold
    per_statement = (loaded - at_rest) / size
    return [
        f"{size:,}",
        f"{at_rest / 2**20:.0f} MiB",
        f"{loaded / 2**20:.0f} MiB",
        f"{per_statement:,.0f}",
        ms(cold),
        ms(restarted) if restarted is not None else "-",
        f"{report.restarted_resident[size] / 2**20:.0f} MiB" if restarted is not None else "-",
    ]


def first_ask(database: str, size: int, **settings: str) -> tuple[int, int, float]:
    """(VmRSS at rest, VmRSS after, seconds) of a fresh server's first /ask of the bank."""
    port = server.free_port()
    process = server.start(database, port, 1, **settings)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
            client.post("/ask", json={"bank": "size-10", "question": "Where is Kaka?"})  # the model warm
            at_rest = resident_bytes(process.pid)
            started = time.perf_counter()
            client.post("/ask", json={"bank": f"size-{size}", "question": "Where is Kaka?"}).raise_for_status()
            seconds = time.perf_counter() - started
            return at_rest, resident_bytes(process.pid), seconds
    finally:
        server.stop(process)


@dataclass
class InProcess:
    """A bank's matrix built in the bench's own process, for the measurements without HTTP."""

    checkpoint: checkpoints.Checkpoint
    matrix: BankMatrix

    @staticmethod
    def load(report: Report, checkpoint: checkpoints.Checkpoint, database: str, bank: str, size: int) -> InProcess:
        service = MemoryService(checkpoint, session_factory(make_engine(database)))
        started = time.perf_counter()
        matrix = service._rebuild(bank)
        report.cold[size] = time.perf_counter() - started
        return InProcess(checkpoint, matrix)

    def question(self, text: str) -> QuestionBatch:
        return self.matrix.encoder.question(text)


def o_step_row(report: Report, loaded: InProcess, lines: list[str], size: int) -> list[str]:
    view = loaded.matrix.view()
    model = loaded.checkpoint.model
    asked = loaded.question(workload.questions(lines, 1)[0])
    scan = BankScan(model, view, asked)
    none = torch.full((1, 0), -1, dtype=torch.long)
    repeat = 20 if size <= 100_000 else 7
    step = statistics.median(timed(lambda: scan.hop_scores(none), repeat))
    query = np.random.default_rng(0).standard_normal(view.candidate.shape[1], dtype=np.float32)
    floor = statistics.median(timed(lambda: view.candidate @ query, repeat))
    candidates = answer_candidates(len(loaded.checkpoint.vocabulary))
    found = infer(model, view, asked, candidates)
    scratch = ScanScratch()  # as the service keeps it for a bank
    whole_times = []
    for number, question in enumerate(workload.questions(lines, 55 if size <= 100_000 else 15, seed=5)):
        other = loaded.question(question)
        started = time.perf_counter()
        infer(model, view, other, candidates, scan=BankScan(model, view, other, False, scratch))
        if number >= 5:  # the first few warm up
            whole_times.append(time.perf_counter() - started)
    whole = statistics.median(whole_times)
    report.floor[size], report.o_step[size] = 1e3 * floor, 1e3 * step
    hops = int((found.chosen >= 0).sum())
    cold = f"{report.cold[size]:.2f} s"
    return [f"{size:,}", cold, ms(step), ms(floor), f"{step / floor:.2f}x", ms(whole), str(hops)]


def hashing_row(loaded: InProcess, lines: list[str], count: int) -> list[str]:
    view = loaded.matrix.view()
    model = loaded.checkpoint.model
    candidates = answer_candidates(len(loaded.checkpoint.vocabulary))
    same_memories = same_answer = 0
    exact_time = hashed_time = 0.0
    for question in workload.questions(lines, count, seed=3):
        asked = loaded.question(question)
        started = time.perf_counter()
        exact = infer(model, view, asked, candidates)
        exact_time += time.perf_counter() - started
        started = time.perf_counter()
        hashed = infer(model, view, asked, candidates, scan=BankScan(model, view, asked, True))
        hashed_time += time.perf_counter() - started
        same_memories += bool(torch.equal(exact.chosen, hashed.chosen))
        same_answer += int(exact.answer_scores.argmax()) == int(hashed.answer_scores.argmax())
    return [
        f"{len(lines):,}",
        f"{100 * same_memories / count:.0f}%",
        f"{100 * same_answer / count:.0f}%",
        ms(exact_time / count),
        ms(hashed_time / count),
        f"{exact_time / hashed_time:.1f}x",
    ]


# -- ingest ----------------------------------------------------------------------------------


def ingest_section(report: Report, folder: Path, statements: int) -> None:
    rows = []
    for name, database in [("SQLite", f"sqlite:///{folder / 'ingest.db'}"), ("PostgreSQL", POSTGRES)]:
        port = server.free_port()
        process = server.start(database, port)
        try:
            client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600)
            for batch in (1, 100, 1000):
                count = min(statements, 2000) if batch == 1 else statements
                lines = workload.statements(count, seed=batch)
                rates, raws = [], []
                for attempt in range(INGEST_REPEATS):  # each into a fresh bank; the median is reported
                    bank = f"bench-ingest-{batch}-{attempt}"
                    client.delete(f"/banks/{bank}")
                    rates.append(fill(client, bank, lines, batch, f"{name} batches of {batch}"))
                    raws.append(raw_insert_rate(database, lines, batch))
                    client.delete(f"/banks/{bank}")
                rate, raw = statistics.median(rates), statistics.median(raws)
                unit = "requests/s" if batch == 1 else "statements/s"
                report.ingest[(name, batch)] = rate
                spread = f"{min(rates):,.0f}-{max(rates):,.0f}"
                rows.append([name, str(batch), f"{rate:,.0f} {unit}", spread, f"{raw:,.0f}", f"{rate / raw:.2f}"])
            client.close()
        finally:
            server.stop(process)
    report.table(
        "Ingest",
        ["database", "statements per request", "POST /memories", "range", "raw executemany, rows/s", "ratio"],
        rows,
        f"One client, sequential requests; the median of {INGEST_REPEATS} runs, each into a fresh bank, and "
        "their range. The reference inserts the same rows (text, tokens, a 512-byte embedding) with the "
        "driver's `executemany`, one transaction per batch, into a scratch table (median of as many runs).",
    )


# -- the model -------------------------------------------------------------------------------


def model_section(report: Report) -> None:
    settings = Settings()
    loaded = checkpoints.load(settings.model_path)
    questions = load_tasks(settings.babi_dir / "en", list(range(1, 21)), "test")
    started = time.perf_counter()
    predict(loaded.model, loaded.vocabulary, encode_questions(questions, loaded.vocabulary))
    evaluation = time.perf_counter() - started
    log = loaded.metadata.get("log", [])
    training_seconds = float(loaded.metadata.get("training_seconds", 0.0))
    train_questions = len(load_tasks(settings.babi_dir / "en", list(range(1, 21)), "train"))
    fraction = float(loaded.metadata.get("train_config", {}).get("validation_fraction", 0.1))
    seen = len(log) * round(train_questions * (1 - fraction))
    report.table(
        "Training and evaluation",
        ["what", "time", "rate"],
        [
            [
                f"train tasks 1-20, {len(log)} epochs (recorded by `memnn train`)",
                f"{training_seconds:.0f} s",
                f"{seen / training_seconds:,.0f} questions/s" if training_seconds else "-",
            ],
            [
                f"evaluate {len(questions):,} test questions, beam {loaded.model.config.beam}",
                f"{evaluation:.1f} s",
                f"{len(questions) / evaluation:,.0f} questions/s",
            ],
        ],
        "Training time is the shipped checkpoint's own, as `memnn train` recorded it (2 threads); "
        "`python -m bench.model --train` times a fresh run.",
    )


def targets(report: Report, sizes: list[int]) -> None:
    """The issue's targets beside what this run measured."""
    rows = []

    def row(target: str, measured: str, met: bool | None) -> None:
        rows.append([target, measured, "n/a" if met is None else ("met" if met else "**not met**")])

    def at(table: dict[int, float], size: int) -> float | None:
        return table.get(size)

    p50_1k = at(report.latency, 1000)
    measured = f"{p50_1k:.1f} ms (an empty request: {report.http_floor:.2f} ms)" if p50_1k else "-"
    row("/ask p50 <= 2 ms at 1k statements", measured, p50_1k <= 2 if p50_1k else None)
    big = max(sizes)
    ratio = report.o_step[big] / report.floor[big]
    row(f"O within 1.5x the numpy floor at {big:,}", f"{ratio:.2f}x", ratio <= 1.5 if big >= 1_000_000 else None)
    if 100_000 in report.latency and 10 in report.latency:
        growth = report.latency[100_000] / report.latency[10]
        row("/ask p50 at 100k <= 5x that at 10", f"{growth:.1f}x", growth <= 5)
    batch = report.ingest.get(("SQLite", 1000), 0.0)
    row("ingest >= 20,000 statements/s in batches of 1000 (SQLite)", f"{batch:,.0f}/s", batch >= 20_000)
    single = report.ingest.get(("SQLite", 1), 0.0)
    row(">= 500 single-statement requests/s (SQLite)", f"{single:,.0f}/s", single >= 500)
    if 1_000_000 in report.resident:
        resident = report.resident[1_000_000]
        row(
            "1M statements in <= 1 GiB resident: built from the database",
            f"{resident / 2**30:.2f} GiB",
            resident <= 2**30,
        )
        after_restart = report.restarted_resident[1_000_000]
        row("... loaded from a snapshot", f"{after_restart / 2**30:.2f} GiB", after_restart <= 2**30)
        cold = report.first_ask[1_000_000]
        row("a cold 1M bank ready in <= 5 s: built from the database (first /ask)", f"{cold:.1f} s", cold <= 5)
        restarted = report.restarted[1_000_000]
        row("... loaded from a snapshot after a restart (first /ask)", f"{restarted:.1f} s", restarted <= 5)
    report.table("Targets", ["target", "measured", ""], rows)


def plot(report: Report, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(report.latency)
    figure, axis = plt.subplots(figsize=(7, 4.2))
    axis.plot(sizes, [report.latency[s] for s in sizes], "o-", label="/ask p50 over HTTP")
    axis.plot(sizes, [report.o_step[s] for s in sizes], "s-", label="O step (one hop, every memory)")
    axis.plot(sizes, [report.floor[s] for s in sizes], "^--", label="numpy matrix-vector floor")
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("statements in the bank")
    axis.set_ylabel("milliseconds")
    axis.set_title("memnn: latency against memory size")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,1000,10000,100000,1000000", help="bank sizes for /ask")
    parser.add_argument("--asks", type=int, default=200, help="questions per bank size")
    parser.add_argument("--ingest", type=int, default=20_000, help="statements per ingest measurement")
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    parser.add_argument("--plot", type=Path, default=Path("docs/latency.png"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    report = Report()
    sizes = [int(size) for size in args.sizes.split(",")]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        ask_section(report, sizes, args.asks, Path(folder))
        ingest_section(report, Path(folder), args.ingest)
    model_section(report)
    targets(report, sizes)
    report.sections.insert(0, report.sections.pop())  # the targets first
    plot(report, args.plot)
    header = (
        "# Benchmarks\n\nWritten by `python -m bench` "
        f"(`--sizes {args.sizes} --asks {args.asks} --ingest {args.ingest}`) in {time.perf_counter() - started:.0f} s "
        f"on this machine: {torch.get_num_threads()} torch thread in the bench process, the server as "
        f"`memnn serve` defaults it. Plot: `{args.plot}`.\n\n![latency]({args.plot})"
    )
    written = {section.splitlines()[0][3:] for section in report.sections}
    kept = sections.others(args.out, written)  # the other modules' sections (`python -m bench.tenants`)
    args.out.write_text("\n\n".join([header, *report.sections, *kept]) + "\n")
    print(args.out.read_text())


if __name__ == "__main__":
    main()
