"""O's search over hop sequences: a beam over (o_1, o_2, ...) ranked by summed per-hop log-softmax of
s_O, shared by dense inference (``MemNN.infer``) and the scan over a bank (``serving.scan``).

``beam=1`` is the paper's greedy o_h = argmax_i s_O. The bookkeeping is numpy: a hop's is a few
dozen operations on tiny arrays, each cheaper there than in torch; the hop scores of a bank as large
as a million memories are never copied (``top_k`` reads them a block maximum at a time).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor

HopScorer = Callable[[Tensor, Tensor], Tensor]


def search_hops(
    score: HopScorer, batch: int, n_memories: int, max_hops: int | None, beam: int, hop_limit: int
) -> tuple[Tensor, Tensor]:
    """The beam search of O over hop sequences -> (chosen (B, H), their s_O (B, H)); at most ``max_hops``
    hops, and never more than the model's ``hop_limit``.

    ``score(chosen, live)`` gives s_O and STOP (rows, N + 1) for the sequences ``live`` indexes
    among the B * beam, ``chosen`` (rows, h) their memories so far; finished rows are not asked.
    In numpy: a hop's bookkeeping is a few dozen operations on tiny arrays, each cheaper there.
    """
    max_hops = min(max_hops or hop_limit, hop_limit)
    stop, width = n_memories, batch * beam  # STOP is the column after the last memory
    per_row = min(beam, n_memories + 1)
    chosen = np.full((width, 0), -1, dtype=np.int64)
    hop_scores = np.zeros((width, 0), dtype=np.float32)
    total = np.full((batch, beam), -np.inf, dtype=np.float32)
    total[:, 0] = 0.0  # one live sequence to start from; the others are empty until filled
    done = np.isinf(total).reshape(-1)
    for _ in range(max_hops):
        live = np.flatnonzero(~done)
        asked = score(torch.from_numpy(chosen[live]), torch.from_numpy(live)).numpy()  # (live, N + 1)
        # Sequences are ranked by Σ log softmax(s_O): each hop's scores made comparable. A row's
        # best extensions are its best scores, less the row's log-sum-exp. A finished sequence
        # only carries on, unchanged: its one way on is STOP, at no cost.
        at = np.empty((width, per_row), dtype=np.int64)
        top = np.zeros((width, per_row), dtype=np.float32)  # the raw s_O at ``at``, reported as evidence
        at[live] = top_k(asked, per_row)
        top[live] = np.take_along_axis(asked, at[live], 1)
        gain = np.full((width, per_row), -np.inf, dtype=np.float32)
        gain[live] = top[live] - _log_sum_exp_overwriting(asked)[:, None]  # ``asked`` is used up
        at[done] = (stop + np.arange(per_row)) % (n_memories + 1)  # STOP first, then nothing
        gain[done, 0] = 0.0
        extended = (total.reshape(-1, 1) + gain).reshape(batch, -1)
        best = top_k(extended, beam)  # (B, W), best first
        total = np.take_along_axis(extended, best, 1)
        rows = (np.arange(batch)[:, None] * beam + best // per_row).reshape(-1)
        picked = np.take_along_axis(at.reshape(batch, -1), best, 1).reshape(-1)
        step_score = np.take_along_axis(top.reshape(batch, -1), best, 1).reshape(-1)
        chosen, hop_scores, done = chosen[rows], hop_scores[rows], done[rows]
        done = done | (picked == stop) | np.isinf(total.reshape(-1))
        chosen = np.concatenate([chosen, np.where(done, -1, picked)[:, None]], axis=1)
        hop_scores = np.concatenate([hop_scores, np.where(done, 0.0, step_score)[:, None]], axis=1)
        if done.all() or _settled(total, done.reshape(batch, beam)):
            break
    best_rows = np.arange(batch) * beam
    return torch.from_numpy(chosen[best_rows]), torch.from_numpy(hop_scores[best_rows])  # float32 throughout


def _settled(total: np.ndarray, done: np.ndarray) -> bool:
    """Whether every batch item's best sequence is finished and ahead of all its live ones (B, W):
    a hop adds a log-probability, never more than 0, so a live sequence can only fall behind."""
    best_done = np.where(done, total, -np.inf).max(axis=1)
    best_live = np.where(done, -np.inf, total).max(axis=1)
    return bool((best_done > best_live).all())


def _log_sum_exp_overwriting(scores: np.ndarray) -> np.ndarray:
    """log Σ exp of each row (every row has a finite score: STOP's), computed in ``scores`` itself:
    a scratch array as large as the bank would be faulted in afresh at every hop."""
    top = scores.max(axis=1, keepdims=True)
    np.subtract(scores, top, out=scores)
    np.exp(scores, out=scores)
    return np.log(scores.sum(axis=1)) + top[:, 0]


TOP_K_BLOCK = 1024


def top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Column indices of each row's k largest values, largest first (ties in any order).

    A long row is read once, a block's maximum at a time; the k largest values lie in the k
    blocks of largest maxima, so the exact top-k is taken among those few columns. torch's top-k
    of a whole row copies it as (value, index) pairs, 16 MB a row of a million; numpy's
    argpartition also copies it, and crawls over many equal values (a row of -inf).
    """
    rows, n = values.shape
    blocks = n // TOP_K_BLOCK
    if blocks <= k:
        return torch.from_numpy(values).topk(k, dim=1).indices.numpy()
    whole = blocks * TOP_K_BLOCK
    maxima = values[:, :whole].reshape(rows, blocks, TOP_K_BLOCK).max(axis=2)
    best_blocks = torch.from_numpy(maxima).topk(k, dim=1).indices.numpy()  # (rows, k)
    columns = (best_blocks[:, :, None] * TOP_K_BLOCK + np.arange(TOP_K_BLOCK)).reshape(rows, -1)
    columns = np.concatenate([columns, np.broadcast_to(np.arange(whole, n), (rows, n - whole))], axis=1)
    found = torch.from_numpy(np.take_along_axis(values, columns, 1)).topk(k, dim=1).indices.numpy()
    return np.take_along_axis(columns, found, 1)
