"""O's net as lookup tables, for serving: a hop's features are sparse, so its first layer is a sum of rows.

``features.HopFeatureLayout`` lays a memory's features out (the model builds them in that order,
and ``model.layout.split`` cuts ``o_features``' weight rows by the same declaration): per context
slot s (question, o_h-1, o_h-2) the positional matches (s, i, j), the mention rank of slot word i
on each side (one of ``rank_buckets`` ranks or "no match", always exactly one), the relation to the
slot and the distance bucket; then the memory's age bucket. ``o_features`` is linear, so its output
is the sum of the weight rows of the active features. Here those rows are regrouped so that a
memory costs a few row gathers:
- ``constant``: every slot word's "no match" rank rows (what a memory that matches nothing has);
- ``question_time[d]``: relation, distance and age rows of a memory d statements before the
  question (the question slot sits right after the last memory, so age is d - 1);
- ``fact_time[s][code]``: relation and distance rows towards a previous fact (``time_code``);
- ``rank_delta[s, i, side, r]``: rank r instead of "no match" for slot word i;
- ``positional[s, i, j]``: slot word i equals memory word j.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..features import AGE_EDGES, DISTANCE_EDGES, DISTANCES, RELATIONS, Relation, bucket_of
from ..model import CONTEXT_SLOTS, MemNN
from .per_model import once_per_model

QUESTION_TIME = AGE_EDGES[-1] + 1  # question_time rows 1..QUESTION_TIME; farther ones share the last
EMPTY_CODE = 2 * DISTANCES  # time_code of a memory towards an empty slot
AT_CODE = EMPTY_CODE + 1  # ... towards the slot it is itself (scored -inf, but given a value)


def time_code(positions: np.ndarray, slots: np.ndarray | int) -> np.ndarray:
    """A memory's relation and distance bucket towards a fact slot (its position, -1: empty), as one code;
    ``slots`` is one position or one per memory."""
    distance = bucket_of(np.abs(positions - slots), DISTANCE_EDGES)
    code = np.where(positions < slots, distance, DISTANCES + distance)
    code = np.where(positions == slots, AT_CODE, code)
    return np.where(np.asarray(slots) < 0, EMPTY_CODE, code)


def far_code(position: np.ndarray | int, slots: np.ndarray) -> np.ndarray:
    """``time_code`` of a memory at ``position`` farther than the last distance edge from every slot."""
    code = np.where(position < slots, DISTANCES - 1, 2 * DISTANCES - 1)
    return np.where(slots < 0, EMPTY_CODE, code)


@dataclass
class OTables:
    constant: np.ndarray  # (H,) float32
    question_time: np.ndarray  # (QUESTION_TIME + 1, H)
    fact_time: np.ndarray  # (CONTEXT_SLOTS, AT_CODE + 1, H); slot 0 unused
    rank_delta: np.ndarray  # (S, M, sides, R, H): the layout's ``rank_sides``
    positional: np.ndarray  # (S, M, M, H)
    context: np.ndarray  # (3D + hops, H): o_context's weight, transposed (rows: ``MemNN.hop_context_layout``)
    context_bias: np.ndarray  # (H,)
    query: np.ndarray  # (H, D): o_query's weight, transposed
    query_bias: np.ndarray  # (D,)
    out: np.ndarray  # (H,)
    out_bias: float
    stop_hidden: np.ndarray  # (3D + hops, H)
    stop_hidden_bias: np.ndarray
    stop_out: np.ndarray  # (H,)
    stop_out_bias: float

    def question_rows(self, ages_plus_one: np.ndarray) -> np.ndarray:
        """``question_time`` of memories ``ages_plus_one`` statements before the question."""
        return self.question_time[np.minimum(ages_plus_one, QUESTION_TIME)]

    def terms(self, pre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """o_features + o_context pre-activations (..., H) -> u (..., D), g (...): s_O = u · Φy + g."""
        hidden = np.maximum(pre, 0.0)
        return hidden @ self.query + self.query_bias, hidden @ self.out + self.out_bias


@once_per_model
@torch.no_grad()
def o_tables(model: MemNN) -> OTables:
    """The model's O tables (built once per model)."""
    config = model.config
    s_count, r = CONTEXT_SLOTS, config.rank_buckets
    weights = model.o_features.weight.T.numpy().astype(np.float32)  # (F, H): a row per feature
    hidden = weights.shape[1]
    blocks = model.layout.split(weights)
    positional, ranks, relation, age = (blocks[name] for name in ("positional", "ranks", "relation", "age"))
    if not config.write_time:  # the ablation: only the positional match counts
        ranks, relation, age = np.zeros_like(ranks), np.zeros_like(relation), np.zeros_like(age)
    before, after, empty = relation[:, Relation.BEFORE], relation[:, Relation.AFTER], relation[:, Relation.EMPTY]
    distance = relation[:, RELATIONS:]  # (S, DISTANCES, H)

    ages_plus_one = np.arange(QUESTION_TIME + 1)
    question_time = (
        before[0]
        + distance[0, bucket_of(ages_plus_one, DISTANCE_EDGES)]
        + age[bucket_of(np.maximum(ages_plus_one - 1, 0), AGE_EDGES)]
    )
    fact_time = np.zeros((s_count, AT_CODE + 1, hidden), dtype=np.float32)
    for s in range(1, s_count):
        fact_time[s, :DISTANCES] = before[s] + distance[s]
        fact_time[s, DISTANCES:EMPTY_CODE] = after[s] + distance[s]
        fact_time[s, EMPTY_CODE] = empty[s]
        fact_time[s, AT_CODE] = distance[s, 0]
    no_match = ranks[:, :, :, r]  # (S, M, sides, H)
    stop_hidden, stop_out = model.stop[0], model.stop[2]
    assert isinstance(stop_hidden, torch.nn.Linear) and isinstance(stop_out, torch.nn.Linear)
    return OTables(
        constant=no_match.sum((0, 1, 2)),
        question_time=question_time.astype(np.float32),
        fact_time=fact_time,
        rank_delta=np.ascontiguousarray(ranks[:, :, :, :r] - no_match[:, :, :, None]),
        positional=np.ascontiguousarray(positional),
        context=model.o_context.weight.T.numpy().copy(),
        context_bias=model.o_context.bias.numpy().copy(),
        query=model.o_query.weight.T.numpy().copy(),
        query_bias=model.o_query.bias.numpy().copy(),
        out=model.o_out.weight[0].numpy().copy(),
        out_bias=float(model.o_out.bias[0]),
        stop_hidden=stop_hidden.weight.T.numpy().copy(),
        stop_hidden_bias=stop_hidden.bias.numpy().copy(),
        stop_out=stop_out.weight[0].numpy().copy(),
        stop_out_bias=float(stop_out.bias[0]),
    )
