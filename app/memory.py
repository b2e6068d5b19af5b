"""How the server's process keeps its resident memory close to what its banks hold (glibc only;
elsewhere these do nothing).

Each thread that allocates gets a glibc malloc arena of its own, and freed pages stay in it: a
bank rebuilt in a request thread would leave its row objects' pages resident there. And glibc
raises its mmap threshold each time a large block is freed, so the next large blocks (a hop's
scores over a million memories) come from the heap and stay resident after they are freed.
Fewer arenas, a fixed threshold, and trimming after a rebuild keep resident what is in use.
"""

from __future__ import annotations

import contextlib
import ctypes
import os

M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8  # glibc's mallopt parameters
SETTINGS = {"MALLOC_ARENA_MAX": "2", "MALLOC_MMAP_THRESHOLD_": str(1 << 20)}  # blocks of 1 MiB and more: mmap


def tune_malloc() -> None:
    """This process, and the worker processes it starts (through the environment they inherit)."""
    for name, value in SETTINGS.items():
        os.environ.setdefault(name, value)
    with contextlib.suppress(OSError, AttributeError, ValueError):
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(M_ARENA_MAX, int(os.environ["MALLOC_ARENA_MAX"]))
        libc.mallopt(M_MMAP_THRESHOLD, int(os.environ["MALLOC_MMAP_THRESHOLD_"]))


def release_free_memory() -> None:
    """Ask glibc to return freed heap pages, in every arena, to the system."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
