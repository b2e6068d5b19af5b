"""R for one question, for serving: ``MemNN.answer_scores`` with the per-word parts precomputed.

s_R(w) = h · (U_R w + Σ_k part_k(w) + W_occ occurrences(w)) + b_w, with h from the question and
the chosen facts. The first two terms are the same for every question (``base``). A word's
occurrence features are non-zero only where one of its parts occurs in the question or a chosen
fact, so they are added as a few entries of h · W_occ, found through an index from each word to
the words it is a part of.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..model import ANSWER_SLOTS, R_FACTS, R_PAIRS, MemNN
from ..text import PAD_ID
from .per_model import once_per_model
from .ragged import fit_heads, ragged_sources
from .sentence_tables import position_bin


@dataclass
class RTables:
    base: np.ndarray  # (V, D): U_R w + Σ_k part_k(w)
    bias: np.ndarray  # (V,)
    part_starts: np.ndarray  # (V + 1,): where the words having word v as a part are listed
    part_words: np.ndarray  # those words
    part_index: np.ndarray  # ... and which of their parts v is
    occurrence: np.ndarray  # (D, parts * ANSWER_SLOTS * bins): W_occ
    hidden: np.ndarray  # r_context: (inputs, 2H) (rows: ``MemNN.answer_context_layout``), bias, (2H, D), bias
    hidden_bias: np.ndarray
    out: np.ndarray
    out_bias: np.ndarray
    size: np.ndarray  # (D, S): R's scores of answer sizes 1 to S from h (S = 0: one word)
    size_bias: np.ndarray


@once_per_model
@torch.no_grad()
def r_tables(model: MemNN) -> RTables:
    """The model's R tables (built once per model)."""
    parts = model.answer_part_ids  # (V, P)
    base = model.answer_embedding.weight + sum(embed(parts[:, k]) for k, embed in enumerate(model.part_embeddings))
    holder, index = torch.nonzero(parts != PAD_ID, as_tuple=True)
    part = parts[holder, index]
    order = torch.argsort(part, stable=True)
    counts = torch.bincount(part, minlength=len(parts))
    hidden, out = model.r_context[0], model.r_context[2]
    assert isinstance(hidden, torch.nn.Linear) and isinstance(out, torch.nn.Linear)
    return RTables(
        base=base.numpy().copy(),
        bias=model.answer_bias.numpy().copy(),
        part_starts=np.r_[0, np.cumsum(counts.numpy())],
        part_words=holder[order].numpy(),
        part_index=index[order].numpy(),
        occurrence=model.answer_occurrence.weight.numpy().copy(),
        hidden=hidden.weight.T.numpy().copy(),
        hidden_bias=hidden.bias.numpy().copy(),
        out=out.weight.T.numpy().copy(),
        out_bias=out.bias.numpy().copy(),
        size=_weight(model.answer_size, model.config.dim).T.copy(),
        size_bias=_bias(model.answer_size),
    )


def _weight(layer: torch.nn.Linear | None, inputs: int) -> np.ndarray:
    return layer.weight.numpy() if layer is not None else np.zeros((0, inputs), dtype=np.float32)


def _bias(layer: torch.nn.Linear | None) -> np.ndarray:
    return layer.bias.numpy().copy() if layer is not None else np.zeros(0, dtype=np.float32)


def answer_scores(
    model: MemNN,
    question: np.ndarray,  # (D,) the encoded question
    question_matches: np.ndarray,  # (Lq,) its match ids
    fact_matches: list[np.ndarray],  # each chosen fact's match ids, in hop order
    fact_support: np.ndarray,  # (K, D) their Φx embeddings
    candidates: np.ndarray,  # (C,) vocabulary ids
) -> tuple[np.ndarray, np.ndarray, int]:
    """s_R of every candidate, then of every unseen word of the facts -> (scores (C + U,), unseen (U,),
    the answer's size): ``MemNN.answer_scores`` for one question, with ``MemNN.unseen_words``' unseen ids
    and ``model.answer_size``'s choice."""
    config, tables = model.config, r_tables(model)
    dim, m, hops = config.dim, config.match_len, config.max_hops
    first_facts = np.zeros((R_FACTS, dim), dtype=np.float32)
    first_facts[: min(R_FACTS, len(fact_support))] = fact_support[:R_FACTS]
    count = np.zeros(hops + 1, dtype=np.float32)
    count[min(len(fact_support), hops)] = 1.0
    heads = [fit_heads(ids[None], m)[0] for ids in [question_matches, *fact_matches[:R_FACTS]]]
    heads += [np.full(m, PAD_ID, dtype=np.int32)] * (1 + R_FACTS - len(heads))
    pairs = [_pair_match(heads[a], heads[b]) for a, b in R_PAIRS]
    parts = {
        "question": question,
        "first_facts": first_facts.reshape(-1),
        "all_facts": fact_support.sum(0),
        "count": count,
        "pairs": np.concatenate(pairs),
    }
    context = np.concatenate(model.answer_context_layout.ordered(parts))
    h = np.maximum(context @ tables.hidden + tables.hidden_bias, 0.0) @ tables.out + tables.out_bias
    per_feature = h @ tables.occurrence  # h · W_occ of each (part, slot, bin) occurrence feature

    slots = [question_matches, *fact_matches]
    ids = np.concatenate(slots).astype(np.int64)
    source = np.repeat(np.arange(len(slots)), [len(s) for s in slots])  # 0: the question, k: fact k
    slot = np.minimum(source, ANSWER_SLOTS - 1)  # facts after the third share the last slot
    bin_of = np.concatenate([position_bin(len(s), len(s), config.bins) for s in slots])
    present = ids != PAD_ID
    ids, slot, bin_of = ids[present], slot[present], bin_of[present]
    vocabulary = len(tables.bias)
    known = ids < vocabulary
    # every (word, part) whose part occurs at a known token: the word's occurrence feature there
    starts = tables.part_starts[ids[known]]
    lengths = tables.part_starts[ids[known] + 1] - starts
    listed = ragged_sources(starts, lengths)
    feature = (tables.part_index[listed] * ANSWER_SLOTS + np.repeat(slot[known], lengths)) * config.bins
    feature += np.repeat(bin_of[known], lengths)
    occurrence = np.bincount(tables.part_words[listed], per_feature[feature], minlength=vocabulary)
    scores = tables.base[candidates] @ h + tables.bias[candidates] + occurrence[candidates]
    # an unseen word of the facts is its own only part: known to R by where it occurs (question included)
    in_facts = source[present] > 0
    unseen = np.unique(ids[~known & in_facts])
    at = np.flatnonzero(np.isin(ids, unseen))
    unseen_scores = np.bincount(
        np.searchsorted(unseen, ids[at]), per_feature[slot[at] * config.bins + bin_of[at]], minlength=len(unseen)
    )
    size = int(np.argmax(h @ tables.size + tables.size_bias)) + 1 if len(tables.size_bias) else 1
    return np.concatenate([scores, unseen_scores]).astype(np.float32), unseen, size


def _pair_match(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return ((left[:, None] == right[None]) & (left != PAD_ID)[:, None] & (right != PAD_ID)[None]).reshape(-1)
