"""Many tenants: a bounded cache under questions to random banks, and its section of BENCHMARKS.md.

    python -m bench.tenants [--banks 10000] [--statements 20-100] [--cache-mb 128] [--questions 20000]
                            [--database-url URL] [--out BENCHMARKS.md]

A real `memnn serve` with `MEMNN_CACHE_MB` set, on a fresh SQLite file (or the empty database of
``--database-url``), gets ``--banks`` banks of ``--statements`` statements each (one request per bank),
then questions to banks drawn at random, one after another. Measured: the server's resident memory and
its cache (from /metrics) as the questions go on, their latency's p50 and p99, the evictions, and a
small bank's first question (its matrix built from the database) beside its second (held). References
from the same server in the same run: an empty request (`GET /healthz`), and questions to one bank that
stays held.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from tqdm import tqdm

from . import sections, server, workload
from .measure import ms, percentile, resident_bytes, timed

TITLE = "Many tenants: the bounded cache"


@dataclass
class Sizes:
    banks: int = 10_000
    smallest: int = 20  # statements in a bank, drawn evenly from smallest to largest
    largest: int = 100
    cache_mb: int = 128
    questions: int = 20_000
    samples: int = 10  # resident memory samples while the questions run
    seed: int = 0

    @property
    def cold_banks(self) -> int:
        """Small banks whose first and second questions are timed: 50, or a tenth of a smaller run's."""
        return min(50, max(1, self.banks // 10))


@dataclass
class Sample:
    questions: int
    resident: int
    cache_bytes: float
    banks_held: float
    evictions: float


@dataclass
class Measured:
    sizes: Sizes
    statements: int = 0
    fill_seconds: float = 0.0
    at_rest: int = 0  # VmRSS with the banks written and none asked
    latencies: list[float] = field(default_factory=list)  # questions to random banks, seconds
    samples: list[Sample] = field(default_factory=list)
    cold: list[float] = field(default_factory=list)  # a small bank's first question
    warm: list[float] = field(default_factory=list)  # ... and its second
    held_bank: list[float] = field(default_factory=list)  # questions to one bank that stays held
    empty_request: list[float] = field(default_factory=list)


def bank_sizes(sizes: Sizes) -> list[int]:
    rng = random.Random(sizes.seed)
    return [rng.randint(sizes.smallest, sizes.largest) for _ in range(sizes.banks)]


def bank_name(number: int) -> str:
    return f"tenant-{number}"


def scrape(client: httpx.Client) -> dict[str, float]:
    families = text_string_to_metric_families(client.get("/metrics").text)
    wanted = ("memnn_cache_bytes", "memnn_banks_held", "memnn_cache_evictions_total", "memnn_cache_budget_bytes")
    return {s.name: s.value for family in families for s in family.samples if s.name in wanted}


def measure(sizes: Sizes, database_url: str) -> Measured:
    measured = Measured(sizes)
    statements = bank_sizes(sizes)
    measured.statements = sum(statements)
    port = server.free_port()
    process = server.start(database_url, port, MEMNN_CACHE_MB=str(sizes.cache_mb), MEMNN_SNAPSHOT_DIR="")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
            started = time.perf_counter()
            for number, size in enumerate(tqdm(statements, desc="write the banks", leave=False)):
                lines = workload.statements(size, seed=number)
                client.post("/memories", json={"bank": bank_name(number), "statements": lines}).raise_for_status()
            measured.fill_seconds = time.perf_counter() - started
            measured.at_rest = resident_bytes(process.pid)
            measured.empty_request = timed(lambda: client.get("/healthz").raise_for_status(), 500)
            ask_random_banks(client, process.pid, statements, measured)
            cold_and_warm(client, statements, measured)
    finally:
        server.stop(process)
    return measured


def ask(client: httpx.Client, bank: int, size: int, seed: int) -> float:
    question = workload.questions(workload.statements(size, seed=bank), 1, seed=seed)[0]
    started = time.perf_counter()
    client.post("/ask", json={"bank": bank_name(bank), "question": question}).raise_for_status()
    return time.perf_counter() - started


def ask_random_banks(client: httpx.Client, pid: int, statements: list[int], measured: Measured) -> None:
    """Questions to banks drawn evenly at random (the smallest banks are kept for ``cold_and_warm``), with
    the server's memory sampled as they go; then one bank asked again and again, which stays held."""
    sizes = measured.sizes
    rng = random.Random(sizes.seed + 1)
    kept_cold = small_banks(statements, sizes.cold_banks)
    askable = [number for number in range(len(statements)) if number not in kept_cold]
    every = max(1, sizes.questions // sizes.samples)
    for asked in tqdm(range(1, sizes.questions + 1), desc="questions to random banks", leave=False):
        bank = rng.choice(askable)
        measured.latencies.append(ask(client, bank, statements[bank], seed=asked))
        if asked % every == 0 or asked == sizes.questions:
            metrics = scrape(client)
            measured.samples.append(
                Sample(
                    asked,
                    resident_bytes(pid),
                    metrics["memnn_cache_bytes"],
                    metrics["memnn_banks_held"],
                    metrics["memnn_cache_evictions_total"],
                )
            )
    held = askable[0]
    measured.held_bank = [ask(client, held, statements[held], seed=turn) for turn in range(200)][10:]


def small_banks(statements: list[int], count: int) -> set[int]:
    """The ``count`` smallest banks: asked only by ``cold_and_warm``, so their first question is cold."""
    return set(sorted(range(len(statements)), key=lambda number: (statements[number], number))[:count])


def cold_and_warm(client: httpx.Client, statements: list[int], measured: Measured) -> None:
    """Each small bank's first question (no process has built its matrix) and the same question again."""
    for bank in sorted(small_banks(statements, measured.sizes.cold_banks)):
        measured.cold.append(ask(client, bank, statements[bank], seed=0))
        measured.warm.append(ask(client, bank, statements[bank], seed=0))


def section(measured: Measured, command: str, database: str) -> str:
    sizes = measured.sizes
    p50, p99 = percentile(measured.latencies, 50), percentile(measured.latencies, 99)
    held_p50 = percentile(measured.held_bank, 50)
    empty_p50 = percentile(measured.empty_request, 50)
    cold, warm = statistics.median(measured.cold), statistics.median(measured.warm)
    statements = bank_sizes(sizes)
    small = sorted(statements[bank] for bank in small_banks(statements, sizes.cold_banks))
    small_sizes = f"{small[0]}" if small[0] == small[-1] else f"{small[0]} to {small[-1]}"
    budget = sizes.cache_mb * 2**20
    last = measured.samples[-1]
    rows = [
        f"| {s.questions:,} | {s.resident / 2**20:.0f} MiB | {s.cache_bytes / 2**20:.1f} MiB | {s.banks_held:,.0f} "
        f"| {s.evictions:,.0f} |"
        for s in measured.samples
    ]
    return "\n".join(
        [
            f"## {TITLE}",
            "",
            f"Written by `{command}`. A `memnn serve` on {database} with `MEMNN_CACHE_MB={sizes.cache_mb}` holds "
            f"{sizes.banks:,} banks of {sizes.smallest} to {sizes.largest} statements ({measured.statements:,} in "
            f"all, written in {measured.fill_seconds:.0f} s, one request per bank); then {sizes.questions:,} "
            '"Where is X?" questions, each to a bank drawn at random, one after another over a keep-alive '
            "connection. The references, from the same server in the same run: an empty request "
            f"(`GET /healthz`, p50 {ms(empty_p50)}) and 190 questions to one bank that stays held "
            f"(p50 {ms(held_p50)}).",
            "",
            "| what | measured | reference |",
            "|---|---|---|",
            f"| questions to random banks: p50 | {ms(p50)} | {p50 / held_p50:.1f}x a held bank's |",
            f"| ... p99 | {ms(p99)} | {p99 / held_p50:.1f}x |",
            f"| cache at the end | {last.cache_bytes / 2**20:.1f} MiB in {last.banks_held:,.0f} banks | "
            f"budget {budget / 2**20:.0f} MiB |",
            f"| evictions while they were asked | {last.evictions:,.0f} | of {sizes.questions:,} questions |",
            f"| a small bank's first question (its matrix built), median of {sizes.cold_banks} banks of "
            f"{small_sizes} statements | {ms(cold)} | {cold / warm:.1f}x its second question ({ms(warm)}); "
            "target <= 3x |",
            f"| server VmRSS with every bank written, none asked | {measured.at_rest / 2**20:.0f} MiB | |",
            "",
            "Resident memory as the questions go on (VmRSS of the server; the cache's bytes, banks and evictions "
            "from its /metrics):",
            "",
            "| questions asked | VmRSS | cache | banks held | evictions |",
            "|---|---|---|---|---|",
            *rows,
        ]
    )


def parse_statements(text: str) -> tuple[int, int]:
    smallest, _, largest = text.partition("-")
    return int(smallest), int(largest or smallest)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = Sizes()
    parser.add_argument("--banks", type=int, default=defaults.banks)
    parser.add_argument("--statements", default=f"{defaults.smallest}-{defaults.largest}", help="per bank: FROM-TO")
    parser.add_argument("--cache-mb", type=int, default=defaults.cache_mb, help="the server's MEMNN_CACHE_MB")
    parser.add_argument("--questions", type=int, default=defaults.questions)
    parser.add_argument("--database-url", default=None, help="an empty database (default: a fresh SQLite file)")
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    args = parser.parse_args(argv)
    smallest, largest = parse_statements(args.statements)
    sizes = Sizes(args.banks, smallest, largest, args.cache_mb, args.questions)
    command = (
        f"python -m bench.tenants --banks {sizes.banks} --statements {smallest}-{largest} "
        f"--cache-mb {sizes.cache_mb} --questions {sizes.questions}"
    )
    with tempfile.TemporaryDirectory() as folder:
        measured = measure(sizes, args.database_url or f"sqlite:///{folder}/tenants.db")
    written = section(measured, command, "PostgreSQL" if args.database_url else "SQLite")
    sections.replace(args.out, TITLE, written)
    print(written)


if __name__ == "__main__":
    main()
