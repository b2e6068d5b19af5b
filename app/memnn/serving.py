"""The model's side of the service: embed statements for storage, answer over one bank's matrix.

Everything here is numpy/torch; the web layer hands in arrays and gets plain results back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .features import MatchIds, pad_2d
from .model import MemNN, MemoryBatch, QuestionBatch, answer_candidates
from .text import Vocabulary, tokenize


@dataclass
class Hop:
    memory: int  # row index in the bank's matrix
    score: float


@dataclass
class ModelAnswer:
    answer: str
    score: float
    alternatives: list[tuple[str, float]]
    hops: list[Hop]


class BankEncoder:
    """Word ids and match ids of one bank's memories; unseen words keep distinct match ids."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.match_ids = MatchIds(vocabulary)

    def encode(self, tokens: list[str]) -> tuple[list[int], list[int]]:
        ids = self.match_ids.sentence(tokens)
        return ids.words, ids.matches


def embedding_width(model: MemNN) -> int:
    """Floats per cached memory row: the Φy and the Φx embedding side by side."""
    return 2 * model.config.dim


@torch.no_grad()
def embed_statements(model: MemNN, vocabulary: Vocabulary, token_lists: list[list[str]]) -> np.ndarray:
    """(n, 2D) float32: what the store caches for each statement, in one batched pass."""
    if not token_lists:
        return np.zeros((0, embedding_width(model)), dtype=np.float32)
    words = pad_2d([vocabulary.encode(tokens) for tokens in token_lists])
    as_candidate, as_support = model.embed_memories(words)
    return torch.cat([as_candidate, as_support], dim=-1).numpy().astype(np.float32)


@torch.no_grad()
def answer(
    model: MemNN,
    vocabulary: Vocabulary,
    encoder: BankEncoder,
    memory_words: np.ndarray,  # (N, L) int64
    memory_matches: np.ndarray,  # (N, L) int64
    embeddings: np.ndarray,  # (N, 2D) float32 cached rows
    question: str,
    max_hops: int | None = None,
    alternatives: int = 4,
) -> ModelAnswer:
    """O over the bank (hops until STOP or ``max_hops``), then R over the vocabulary."""
    dim = model.config.dim
    n = memory_words.shape[0]
    matrix = torch.from_numpy(embeddings)
    memories = MemoryBatch(
        words=torch.from_numpy(memory_words)[None],
        matches=torch.from_numpy(memory_matches)[None],
        mask=torch.ones(1, n, dtype=torch.bool),
        as_candidate=matrix[None, :, :dim],
        as_support=matrix[None, :, dim:],
    )
    words, matches = encoder.encode(tokenize(question))
    asked = QuestionBatch(pad_2d([words]), pad_2d([matches]))
    candidates = answer_candidates(len(vocabulary))
    result = model.infer(memories, asked, candidates, max_hops)
    scores = result.answer_scores[0]
    ranked = scores.argsort(descending=True)[: alternatives + 1]
    named = [(vocabulary.words[int(candidates[i])], float(scores[i])) for i in ranked]
    hops = [Hop(int(m), float(s)) for m, s in zip(result.chosen[0], result.hop_scores[0], strict=True) if int(m) >= 0]
    return ModelAnswer(named[0][0], named[0][1], named[1:], hops)
