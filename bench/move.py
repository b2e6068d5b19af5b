"""Moving a bank: `memnn bank export|import` SQLite -> PostgreSQL -> SQLite, and its section of BENCHMARKS.md.

    python -m bench.move [--statements 1000000] [--postgres-url URL] [--out BENCHMARKS.md]

A file of ``--statements`` memories (bAbI-style events, one in ten corrected once and with metadata,
as `GET /banks/{bank}/export` writes them) is imported into a fresh SQLite file; then the bank is
exported from it, imported into a fresh PostgreSQL database (created on ``--postgres-url``'s server
and dropped after), exported from there and imported into another SQLite file, which is exported
once more. Each step is one `memnn bank` command in its own process: its wall time, rows/s and peak
resident memory (the process's ru_maxrss). The three exports must be identical. The reference, in
the same run: the driver's own `executemany` of the same rows (text, tokens, a 512-byte embedding),
1,000 a batch, into a scratch table of each database.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from . import sections, workload
from .measure import raw_insert_rate

TITLE = "Moving a bank: memnn bank export|import"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CREATED = "2026-11-25T10:00:00Z"
BATCH = 1_000  # rows per executemany, as the import writes them


@dataclass
class Step:
    what: str
    command: str
    seconds: float
    peak_bytes: int


def write_export(path: Path, statements: list[str]) -> None:
    """The lines an export of a bank of these statements holds: every tenth corrected once, with metadata."""
    with path.open("w", encoding="utf-8") as out:
        for position, statement in enumerate(statements):
            line: dict[str, object] = {"position": position, "text": statement, "metadata": None}
            line |= {"created_at": CREATED, "version": 1, "updated_at": None, "history": []}
            if position % 10 == 0:
                earlier = {"version": 1, "text": statement.replace(" the ", " a "), "metadata": None}
                line |= {"version": 2, "updated_at": CREATED, "history": [earlier | {"recorded_at": CREATED}]}
                line["metadata"] = {"source": "chat", "n": position}
            out.write(json.dumps(line, separators=(",", ":")) + "\n")


def run_step(what: str, arguments: list[str]) -> Step:
    """One `memnn` command in its own process: wall time and peak resident memory (ru_maxrss)."""
    command = [sys.executable, "-m", "app.cli", *arguments]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    errors = process.stderr.read()  # the progress bar; read while it runs, so the pipe never fills
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(arguments)} failed: {errors.decode()[-2000:]}")
    return Step(what, "memnn " + " ".join(_shown(argument) for argument in arguments), seconds, usage.ru_maxrss * 1024)


def _import(what: str, source: Path, database_url: str) -> Step:
    return run_step(what, ["bank", "import", "b", str(source), "--database-url", database_url])


def _export(what: str, database_url: str, out: Path) -> Step:
    return run_step(what, ["bank", "export", "b", "--out", str(out), "--database-url", database_url])


def _shown(argument: str) -> str:
    """A command's argument as the table shows it: database URLs and temporary paths shortened."""
    if "://" in argument:
        return "$SQLITE" if argument.startswith("sqlite") else "$POSTGRES"
    return Path(argument).name if argument.startswith(tempfile.gettempdir()) else argument


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fresh_postgres(admin_url: str) -> tuple[str, str]:
    """(a new empty database's URL, its name) on the server of ``admin_url``."""
    name = f"memnn_bench_move_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), name


def drop_postgres(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def measure(statements: int, admin_url: str, folder: Path) -> tuple[list[Step], dict[str, float], int, bool]:
    """(the steps, the raw executemany rates by database, the file's bytes, whether the exports are identical)."""
    texts = workload.statements(statements)
    source = folder / "source.jsonl"
    write_export(source, texts)
    laptop, back = f"sqlite:///{folder / 'laptop.db'}", f"sqlite:///{folder / 'back.db'}"
    postgres, name = fresh_postgres(admin_url)
    files = [folder / f"{step}.jsonl" for step in ("from-sqlite", "from-postgresql", "back")]
    try:
        steps = [
            _import("file -> SQLite (the bank to move)", source, laptop),
            _export("SQLite -> file", laptop, files[0]),
            _import("file -> PostgreSQL", files[0], postgres),
            _export("PostgreSQL -> file", postgres, files[1]),
            _import("file -> SQLite", files[1], back),
            _export("SQLite -> file (to compare)", back, files[2]),
        ]
        raw = {"SQLite": raw_insert_rate(f"sqlite:///{folder / 'raw.db'}", texts, BATCH)}
        raw["PostgreSQL"] = raw_insert_rate(postgres, texts, BATCH)
    finally:
        drop_postgres(admin_url, name)
    identical = len({digest(path) for path in [source, *files]}) == 1
    return steps, raw, source.stat().st_size, identical


def section(statements: int, steps: list[Step], raw: dict[str, float], size: int, identical: bool, command: str) -> str:
    rows = []
    for step in steps:
        rate = statements / step.seconds
        database = "PostgreSQL" if "PostgreSQL" in step.what.split("->")[-1] else "SQLite"
        reference = f"{raw[database]:,.0f}" if "import" in step.command else ""
        ratio = f"{rate / raw[database]:.2f}" if reference else ""
        rows.append(
            f"| {step.what} | `{step.command}` | {step.seconds:.1f} | {rate:,.0f} | {step.peak_bytes / 2**20:,.0f} MiB "
            f"| {reference} | {ratio} |"
        )
    there = steps[1].seconds + steps[2].seconds
    back = steps[3].seconds + steps[4].seconds
    return "\n".join(
        [
            f"## {TITLE}",
            "",
            f"`{command}`: a bank of {statements:,} memories ({size / 1e6:,.0f} MB of JSON Lines; one in ten "
            "corrected once, with metadata) moved SQLite -> PostgreSQL -> SQLite with one `memnn bank` command "
            "a step, each in its own process. The reference is the driver's own `executemany` of the same rows "
            "(text, tokens, a 512-byte embedding), 1,000 a batch, into a scratch table of the same database, in "
            "the same run; the ratio is the import's rows/s to it.",
            "",
            "| step | command | seconds | rows/s | peak resident | raw executemany, rows/s | ratio |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"SQLite -> PostgreSQL: {there:.1f} s ({statements / there:,.0f} rows/s); PostgreSQL -> SQLite: "
            f"{back:.1f} s ({statements / back:,.0f} rows/s). The exports are "
            + ("identical, byte for byte, to the file the bank came from." if identical else "**not** identical.")
            + " An import embeds every statement under the model and checks every line as a live write.",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.move", description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=1_000_000, help="memories in the bank (1,000,000)")
    parser.add_argument("--postgres-url", default=POSTGRES, help=f"a PostgreSQL server's URL (default {POSTGRES})")
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"), help="the file whose section to write")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        steps, raw, size, identical = measure(args.statements, args.postgres_url, Path(folder))
    command = f"python -m bench.move --statements {args.statements}"
    written = section(args.statements, steps, raw, size, identical, command)
    sections.replace(args.out, TITLE, written)
    print(written)
    if not identical:
        raise SystemExit("the exports differ: the move is not the identity")


if __name__ == "__main__":
    main()
