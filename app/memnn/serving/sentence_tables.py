"""The sentence encoders as tables, for serving: ``SentenceEncoder`` without its per-call torch work.

E(x) = tanh(b + Σ_p P_p Σ_{i in bin p} U φ(x_i)) is linear inside the tanh, so each (bin, word)
pair contributes a fixed vector P_p U φ(w): a table of bins × vocabulary rows, gathered and
summed per sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..model import MemNN, SentenceEncoder
from ..text import PAD_ID, UNK_ID
from .per_model import once_per_model


@dataclass
class SentenceTable:
    rows: np.ndarray  # (bins, V, D): P_p U φ(w); zero for padding
    bias: np.ndarray  # (D,)

    @staticmethod
    @torch.no_grad()
    def of(encoder: SentenceEncoder) -> SentenceTable:
        bins, dim = encoder.bins, encoder.embedding.embedding_dim
        mix = encoder.mix.weight.reshape(dim, bins, dim)  # (out, bin, in)
        rows = torch.einsum("opi,vi->pvo", mix, encoder.embedding.weight).numpy().copy()
        rows[:, PAD_ID] = 0.0  # padding adds nothing, whatever its embedding
        return SentenceTable(rows, encoder.mix.bias.numpy().copy())

    def encode(self, words: np.ndarray) -> np.ndarray:
        """(n, L) vocabulary ids, PAD_ID padded -> (n, D) float32, as ``SentenceEncoder`` computes them."""
        words = np.where(words == UNK_ID, PAD_ID, words)  # an unseen word adds nothing, as in the model
        bins = self.rows.shape[0]
        which = position_bin(words.shape[-1], (words != PAD_ID).sum(-1, keepdims=True), bins)
        return np.tanh(self.rows[which, words].sum(-2) + self.bias).astype(np.float32)


@dataclass
class SentenceTables:
    question: SentenceTable
    candidate: SentenceTable  # Φy
    support: SentenceTable  # Φx


@once_per_model
def sentence_tables(model: MemNN) -> SentenceTables:
    """The model's three sentence encoders as tables (built once per model)."""
    return SentenceTables(
        SentenceTable.of(model.encode_question),
        SentenceTable.of(model.encode_candidate),
        SentenceTable.of(model.encode_support),
    )


def position_bin(width: int, length: np.ndarray | int, bins: int) -> np.ndarray:
    """``features.position_bins`` as indices: the bin of each of ``width`` token places (from 1) in a
    sentence of ``length`` counted words (one length, or a column of them) -> (..., width)."""
    places = np.arange(1, width + 1)
    return np.clip(np.ceil(places * bins / np.maximum(length, 1)), 1, bins).astype(np.int64) - 1
