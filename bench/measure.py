"""What the benchmarks measure with: timings, percentiles, a process's resident memory, and the driver's
own insert rate, the reference for every write."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlalchemy import text

from app.memnn.text import tokenize
from app.store.database import make_engine


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    """Seconds of each of ``repeat`` calls, after one warm-up call."""
    action()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def ms(seconds: float) -> str:
    return f"{1e3 * seconds:.2f} ms"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def resident_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def raw_insert_rate(database: str, lines: list[str], batch: int) -> float:
    engine = make_engine(database)
    blob = bytes(512)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS bench_raw"))
        connection.execute(
            text("CREATE TABLE bench_raw (id INTEGER PRIMARY KEY, text TEXT, tokens TEXT, embedding BLOB)")
            if engine.dialect.name == "sqlite"
            else text("CREATE TABLE bench_raw (id SERIAL PRIMARY KEY, text TEXT, tokens TEXT, embedding BYTEA)")
        )
    raw = engine.raw_connection()
    marker = "?" if engine.dialect.name == "sqlite" else "%s"
    insert = f"INSERT INTO bench_raw (text, tokens, embedding) VALUES ({marker}, {marker}, {marker})"
    started = time.perf_counter()
    try:
        for start in range(0, len(lines), batch):
            cursor = raw.cursor()
            cursor.executemany(insert, [(line, str(tokenize(line)), blob) for line in lines[start : start + batch]])
            raw.commit()
    finally:
        raw.close()
    rate = len(lines) / (time.perf_counter() - started)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE bench_raw"))
    engine.dispose()
    return rate
