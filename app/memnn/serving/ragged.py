"""Index arithmetic for ragged rows: items of rows of different lengths, laid out one row after another;
and rows cut or padded to one width."""

from __future__ import annotations

import numpy as np

from ..text import PAD_ID


def ragged_rows(lengths: np.ndarray) -> np.ndarray:
    """For items of rows ``lengths`` long, laid out one row after another: each item's row."""
    return np.repeat(np.arange(len(lengths)), lengths)


def ragged_columns(lengths: np.ndarray) -> np.ndarray:
    """... and each item's place within its row."""
    return np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)


def ragged_sources(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Where each item of rows starting at ``starts`` lies in the flat array."""
    return np.repeat(starts, lengths) + ragged_columns(lengths)


def fit_heads(matches: np.ndarray, width: int) -> np.ndarray:
    """(n, L) ids -> (n, width) int32: each row's first ``width`` ids, PAD_ID padded."""
    out = np.full((len(matches), width), PAD_ID, dtype=np.int32)
    take = min(width, matches.shape[1])
    out[:, :take] = matches[:, :take]
    return out
