"""Text handling for the I module: tokenizer, sentence splitter and the vocabulary."""

from __future__ import annotations

import re
from collections.abc import Iterable

PAD = "<pad>"
UNK = "<unk>"
PAD_ID = 0
UNK_ID = 1
FIRST_WORD_ID = 2  # ids below are reserved

# A word: letters and digits, joined by hyphens ("Mount-Doom", "9-am") or, with no space, by commas
# (bAbI's answers "n,w"); an apostrophe and what follows it is a contraction or a possessive.
_WORD = r"\w+(?:-\w+)*"
_TOKEN = re.compile(rf"{_WORD}(?:,{_WORD})*(?:'\w+)?|'\w+", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# contractions as the words they stand for: "where's" -> where is, "isn't" -> is not
_WHOLE = {"won't": ["will", "not"], "can't": ["can", "not"], "shan't": ["shall", "not"], "ain't": ["is", "not"],
          "o'clock": ["o'clock"]}  # fmt: skip
_SUFFIXES = {"n't": "not", "'re": "are", "'ve": "have", "'ll": "will", "'m": "am", "'d": "would"}
_IS = {"where", "who", "what", "which", "how", "it", "he", "she", "that", "there", "here", "when", "why"}


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens; punctuation is dropped.

    Hyphenated names ("Mount-Doom") are one token, and so are comma-joined words with no space
    between them (bAbI answers such as ``apple,football`` or ``n,w``). Contractions become the
    words they stand for ("where's" -> where is, "doesn't" -> does not, "they're" -> they are);
    a possessive "'s" stays a token of its own ("Joe's" -> joe 's).
    """
    tokens: list[str] = []
    for token in _TOKEN.findall(text.lower().replace("\u2019", "'")):
        tokens += _expanded(token)
    return tokens


def _expanded(token: str) -> list[str]:
    if token in _WHOLE:
        return list(_WHOLE[token])
    if token.endswith("n't") and len(token) > 3:
        return [token[:-3], "not"]
    stem, apostrophe, rest = token.partition("'")
    if not apostrophe:
        return [token]
    suffix = "'" + rest
    if not stem:
        return [suffix]
    if suffix in _SUFFIXES:
        return [stem, _SUFFIXES[suffix]]
    if suffix == "'s":
        return [stem, "is" if stem in _IS else "'s"]
    return [stem, suffix]


def surface_form(token: str, texts: Iterable[str]) -> str | None:
    """The word of ``texts`` that tokenizes to ``token``, as it was written there ("mount-doom" ->
    "Mount-Doom"); None if none does."""
    for text in texts:
        for match in re.finditer(_WORD, text):
            if match.group(0).lower() == token:
                return match.group(0)
    return None


DIRECTIONS = {"n", "s", "e", "w"}


def answer_items(answer: str) -> list[str]:
    """An answer as the words R answers with: a list ("apple,milk") is its items, in
    any order; a path ("n,w": ordered, and a direction may repeat) is one word of its own."""
    parts = answer.split(",")
    if len(parts) > 1 and not set(parts) <= DIRECTIONS:
        return parts
    return [answer]


def split_sentences(text: str) -> list[str]:
    """Split a paragraph into sentences at ``.``, ``!`` or ``?`` followed by white space."""
    return [part.strip() for part in _SENTENCE_END.split(text.strip()) if part.strip()]


class Vocabulary:
    """Word <-> id map with reserved ids for padding (0) and unknown words (1)."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        self.words: list[str] = [PAD, UNK]
        self.ids: dict[str, int] = {PAD: PAD_ID, UNK: UNK_ID}
        for word in words:
            self.add(word)

    def add(self, word: str) -> int:
        if word not in self.ids:
            self.ids[word] = len(self.words)
            self.words.append(word)
        return self.ids[word]

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.ids

    def id(self, word: str) -> int:
        return self.ids.get(word, UNK_ID)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        return [self.ids.get(token, UNK_ID) for token in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.words[i] for i in ids]


def answer_parts(vocabulary: Vocabulary, max_parts: int) -> list[list[int]]:
    """For every word id, the ids of its comma-separated parts ("apple,football" -> apple, football),
    padded with ``PAD_ID``; a plain word (or one whose parts are unknown) is its own single part."""
    table = []
    for word_id, word in enumerate(vocabulary.words):
        parts = word.split(",")
        if len(parts) > 1 and len(parts) <= max_parts and all(part in vocabulary for part in parts):
            ids = [vocabulary.ids[part] for part in parts]
        else:
            ids = [word_id]
        table.append(ids + [PAD_ID] * (max_parts - len(ids)))
    return table
