"""O's beam search: exact top-k over long rows, and the best hop sequence when the beam is wide enough."""

import numpy as np
import torch

from app.memnn.search import search_hops, top_k


def test_top_k_of_long_rows_finds_the_largest_values_in_order():
    rng = np.random.default_rng(0)
    rows = rng.standard_normal((4, 50_001)).astype(np.float32)
    rows[1] = -np.inf  # a row of one finite score and ties everywhere else
    rows[1, 49_999] = 3.0
    rows[2, 50_000] = 100.0  # the best in the tail after the last whole block
    rows[3, :2048] = 5.0  # ties among the best
    found = top_k(rows, 4)
    assert found.shape == (4, 4)
    for row, columns in zip(rows, found, strict=True):
        assert np.array_equal(row[columns], np.sort(row)[::-1][:4])  # the 4 largest, largest first
        assert len(set(columns.tolist())) == 4
    short = rng.standard_normal((2, 30)).astype(np.float32)
    assert np.array_equal(top_k(short, 3), torch.from_numpy(short).topk(3, dim=1).indices.numpy())


def _brute_force_best(score_row, n: int, hops: int) -> tuple[float, list[int]]:
    """The hop sequence of the highest summed log-softmax, by trying every one."""
    best: tuple[float, list[int]] = (-np.inf, [])

    def extend(sequence: list[int], total: float) -> None:
        nonlocal best
        if len(sequence) == hops:
            best = max(best, (total, sequence))
            return
        scores = score_row(sequence)
        log_p = scores - np.log(np.exp(scores - scores.max()).sum()) - scores.max()
        best = max(best, (total + log_p[n], sequence))  # STOP here
        for memory in range(n):
            extend([*sequence, memory], total + log_p[memory])

    extend([], 0.0)
    return best


def test_beam_search_wide_enough_to_try_everything_finds_the_best_sequence_and_stops_early():
    n, hops = 3, 3
    settled_early = False
    for seed in range(20):
        stop_bias = 4.0 if seed % 2 else 0.0  # STOP likely: the search may settle before the last hop

        def score_row(sequence: list[int], seed: int = seed, stop_bias: float = stop_bias) -> np.ndarray:
            rng = np.random.default_rng([seed, *[m + 1 for m in sequence]])
            scores = rng.standard_normal(n + 1).astype(np.float32) * 3
            scores[n] += stop_bias
            return scores

        calls: list[int] = []

        def score(chosen: torch.Tensor, live: torch.Tensor, calls: list[int] = calls) -> torch.Tensor:
            calls.append(len(live))
            rows = [[m for m in row if m >= 0] for row in chosen.tolist()]
            return torch.from_numpy(np.stack([score_row(row) for row in rows]))

        chosen, _ = search_hops(score, 1, n, hops, (n + 1) ** hops, hop_limit=hops)
        _, expected = _brute_force_best(score_row, n, hops)
        assert [m for m in chosen[0].tolist() if m >= 0] == expected, seed
        if stop_bias and len(calls) < hops:
            settled_early = True
    assert settled_early  # some searches ended before the last hop, with the same best sequence
