"""How the server's process keeps its resident memory close to what its banks hold and its large
arrays quick to fill (glibc and Linux only; elsewhere these do nothing), and keeps the garbage
collector out of bulk loads.

Each thread that allocates gets a glibc malloc arena of its own, and freed pages stay in it: a
bank rebuilt in a request thread would leave its row objects' pages resident there. And glibc
raises its mmap threshold each time a large block is freed, so the next large blocks (a hop's
scores over a million memories) come from the heap and stay resident after they are freed.
Fewer arenas, a fixed threshold, and trimming after a rebuild keep resident what is in use.

numpy asks the kernel for transparent huge pages for every array of 4 MB or more; where the
kernel compacts memory for such a request on the spot (defrag "madvise", a common default),
faulting in a million memories' 512 MB of embeddings took 0.85 s instead of 0.21 s, and the
scan was no faster for them. ``NUMPY_MADVISE_HUGEPAGE=0`` turns the request off; numpy reads it
when it is imported, so it is set before the server imports numpy.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import threading
from collections.abc import Iterator

M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8  # glibc's mallopt parameters
SETTINGS = {
    "MALLOC_ARENA_MAX": "2",
    "MALLOC_MMAP_THRESHOLD_": str(1 << 20),  # blocks of 1 MiB and more: mmap
    "NUMPY_MADVISE_HUGEPAGE": "0",
}


def tune_memory() -> None:
    """This process, and the worker processes it starts (through the environment they inherit).
    Call it before numpy is imported."""
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


def freeze_startup_objects() -> None:
    """Leave what the process holds once it has started (the model, the libraries, the app: some
    230,000 objects) out of every later garbage collection. Each full collection walked them all,
    and a batch of 1000 statements set one off every 20,000 statements or so (batch ingest in
    process: 35,000 -> 40,000 statements/s)."""
    gc.collect()
    gc.freeze()


_paused = 0
_paused_lock = threading.Lock()
_was_enabled = True


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside (reference counting still frees everything at once).

    A bulk load makes millions of short-lived tuples, lists and strings with no cycles among
    them; each batch of new objects set off a collection that walked every object alive, which
    took 4 of 9 seconds loading a bank of a million rows. Nested and concurrent uses keep the
    collector off until the last one ends.
    """
    global _paused, _was_enabled
    with _paused_lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
        _paused += 1
        gc.disable()
    try:
        yield
    finally:
        with _paused_lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()
