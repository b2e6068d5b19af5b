"""What the benchmarks measure with: timings, percentiles, a process's resident memory."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np


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
