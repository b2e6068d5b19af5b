"""What G stores of a statement for the model, and how a bank's stored words become match ids again.

Everything here is numpy/torch; the store hands in token lists and bytes and gets arrays back.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Sequence
from typing import cast

import numpy as np
import torch

from ..features import MatchIds, pad_2d
from ..model import MemNN, QuestionBatch
from ..text import PAD_ID, UNK_ID, Vocabulary, tokenize
from .bank import Sentences, object_bytes
from .sentence_tables import sentence_tables


class BankEncoder:
    """Match ids of one bank's memories: vocabulary ids, and for unseen words ids of the bank's own,
    distinct per word (see ``features.MatchIds``). Only the memories' words are kept: a question's
    word that no memory holds gets an id for that question alone, so the encoder is the same however
    many questions it met, and a bank built again from its rows answers as before."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.match_ids = MatchIds(vocabulary)
        self._words_bytes = 0  # the unseen words' strings and their ids

    def question(self, text: str) -> QuestionBatch:
        """A question as O and R read it: its vocabulary ids, and its match ids in this bank."""
        tokens = tokenize(text)
        words = self.vocabulary.encode(tokens)
        bank_words = self.match_ids.unseen
        asked_only: dict[str, int] = {}  # words no memory holds: ids past the bank's, for this question alone
        first_free = len(self.vocabulary) + len(bank_words)
        matches = []
        for word, token in zip(words, tokens, strict=True):
            if word == UNK_ID:
                word = bank_words.get(token) or asked_only.setdefault(token, first_free + len(asked_only))
            matches.append(word)
        return QuestionBatch(pad_2d([words]), pad_2d([matches]))

    def compact(self) -> None:
        """Re-create the unseen words' strings and tables. After a bulk load each surviving word is a
        small object amid freed ones, and would keep its whole block of memory resident."""
        words = [word.encode().decode() for word in self.match_ids.unseen_words]
        first = len(self.vocabulary)
        self.match_ids.unseen = {word: first + offset for offset, word in enumerate(words)}
        self.match_ids.unseen_words = words

    def unseen_words(self) -> list[str]:
        """The bank's unseen words in the order of their match ids."""
        return list(self.match_ids.unseen_words)

    def restore(self, unseen_words: list[str]) -> None:
        """Give ``unseen_words`` (from ``unseen_words``) their match ids again, in order."""
        for word in unseen_words:
            self._add_unseen(word)

    def _add_unseen(self, word: str) -> None:
        match_id = self.match_ids.add_unseen(word)
        self._words_bytes += object_bytes(word) + object_bytes(match_id)

    def nbytes(self) -> int:
        """Bytes the bank's unseen words hold: the strings, their ids, and the two tables of them."""
        match_ids = self.match_ids
        return sys.getsizeof(match_ids.unseen) + sys.getsizeof(match_ids.unseen_words) + self._words_bytes

    def match_sentences(self, word_ids: Sequence[bytes | None], unseen_words: Iterable[str | None]) -> Sentences:
        """Statements' stored words (``stored_words``: int32 bytes, unseen words) -> their match ids: each
        UNK_ID becomes the id of the next unseen word; words new to the bank get theirs in order of
        first appearance, as one at a time would."""
        if None in word_ids:
            raise ValueError("a statement without stored word ids: encode it again first")
        words = Sentences.joined(cast(Sequence[bytes], word_ids))
        unseen = split_unseen(unseen_words)
        unseen_ids = self.match_ids.unseen  # the bank's own: every word here is one the vocabulary lacks
        ids = list(map(unseen_ids.get, unseen))
        if None in ids:
            for token in dict.fromkeys(token for token, known in zip(unseen, ids, strict=True) if known is None):
                self._add_unseen(token)
            ids = list(map(unseen_ids.__getitem__, unseen))
        flat = words.flat.copy()
        marked = np.flatnonzero(flat == UNK_ID)
        if len(marked) != len(unseen):
            raise ValueError(f"{len(marked)} unseen-word marks but {len(unseen)} unseen words")
        flat[marked] = ids
        return Sentences(flat, words.starts)

    def words_of(self, unseen: torch.Tensor) -> list[str]:
        """The words behind unseen match ids (padding skipped)."""
        return [self.match_ids.word(m) for m in unseen.tolist() if m != PAD_ID]


INT32 = "i"  # the array module's code for int32: C's int
if array(INT32).itemsize != 4:
    raise ImportError("stored word ids are int32: this platform's C int is not 4 bytes")


def stored_words(vocabulary: Vocabulary, tokens: list[str]) -> tuple[bytes, str | None]:
    """A statement's words as the store keeps them beside its embedding, for this vocabulary: int32
    vocabulary ids (UNK_ID for a word it lacks), and those words (``unseen_text``)."""
    _, [word_ids], [unseen] = _stored_words(vocabulary, [tokens])
    return word_ids, unseen


def unseen_text(words: list[str]) -> str | None:
    """A statement's unseen words as stored: space-separated (no token holds a space), None if none."""
    return " ".join(words) or None


def split_unseen(texts: Iterable[str | None]) -> list[str]:
    """Every statement's unseen words (``unseen_text``), one after another."""
    return " ".join(text for text in texts if text).split()


def _stored_words(
    vocabulary: Vocabulary, token_lists: list[list[str]]
) -> tuple[list[list[int]], list[bytes], list[str | None]]:
    """(vocabulary ids, their int32 bytes, unseen words) of each statement: columns, not an object
    per statement (a batch of a thousand would set the garbage collector off more often)."""
    ids = [vocabulary.encode(tokens) for tokens in token_lists]
    word_ids = [array(INT32, row).tobytes() for row in ids]
    unseen = [
        unseen_text([token for token, word in zip(tokens, row, strict=True) if word == UNK_ID])
        if UNK_ID in row
        else None
        for tokens, row in zip(token_lists, ids, strict=True)
    ]
    return ids, word_ids, unseen


def embedding_width(model: MemNN) -> int:
    """Floats per cached memory row: the Φy and the Φx embedding side by side."""
    return 2 * model.config.dim


def stored_statements(
    model: MemNN, vocabulary: Vocabulary, token_lists: list[list[str]]
) -> tuple[np.ndarray, list[bytes], list[str | None]]:
    """What the store keeps of each statement for this model, from one pass over the vocabulary:
    (n, 2D) float32 embeddings (Φy then Φx, in one batched pass), and its words (``stored_words``)."""
    ids, word_ids, unseen = _stored_words(vocabulary, token_lists)
    if not token_lists:
        return np.zeros((0, embedding_width(model)), dtype=np.float32), word_ids, unseen
    padded = pad_2d(ids).numpy()
    tables = sentence_tables(model)
    return np.concatenate([tables.candidate.encode(padded), tables.support.encode(padded)], axis=1), word_ids, unseen
