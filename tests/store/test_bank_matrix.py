"""A bank's in-memory matrix: appends in any pieces give the same matrix, views agree with it, and it
counts the bytes it holds."""

import gc
import tracemalloc
from datetime import UTC, datetime

import numpy as np

from app.memnn.serving.answer import Asked
from app.memnn.serving.bank import BankView
from app.memnn.serving.encode import BankEncoder, stored_statements, stored_words
from app.memnn.text import Vocabulary, tokenize
from app.store.bank_matrix import BankMatrix
from app.store.filters import MemoryFilter
from app.store.repository import NO_FILTER

DIM, MATCH_LEN = 4, 3
LINES = ["Mary went to the kitchen.", "Zanele picked up the ball in the long hall by the door.", "Mary went home."] * 7


def _matrix(pieces: list[int]) -> BankMatrix:
    vocabulary = Vocabulary(["mary", "went", "to", "the", "kitchen", "home"])
    matrix = BankMatrix(1, 0, BankEncoder(vocabulary), DIM, MATCH_LEN)
    start = 0
    for size in pieces:
        rows = range(start, start + size)
        words = [stored_words(vocabulary, tokenize(LINES[i])) for i in rows]  # (int32 ids, unseen words)
        matrix.append(
            np.array(list(rows), dtype=np.int64),
            [word_ids for word_ids, _ in words],
            [unseen for _, unseen in words],
            np.arange(start * 2 * DIM, (start + size) * 2 * DIM, dtype=np.float32).reshape(size, 2 * DIM),
            [{"who": "mary"} if "Mary" in LINES[i] else None for i in rows],
            np.array([datetime(2026, 1, 1 + i, tzinfo=UTC).timestamp() for i in rows]),
        )
        start += size
    return matrix


def _same(left: BankView, right: BankView) -> None:
    assert np.array_equal(left.candidate, right.candidate) and np.array_equal(left.support, right.support)
    assert np.array_equal(left.heads, right.heads)
    every = np.arange(left.size)
    assert [left.sentences.row(i).tolist() for i in every] == [right.sentences.row(i).tolist() for i in every]
    for word in range(20):
        assert left.index.rows(word).tolist() == right.index.rows(word).tolist()


def test_appends_in_pieces_build_the_same_matrix() -> None:
    whole, pieces = _matrix([21]), _matrix([1, 5, 2, 13])
    _same(whole.view(), pieces.view())
    assert pieces.view().candidate.flags.c_contiguous
    assert whole.ids.shape[0] == 21  # room for the first append's rows, and no more
    assert pieces.ids.shape[0] == 32  # 16 (the least) for the first piece, doubled for the last


def test_a_long_statement_widens_no_other_row() -> None:
    matrix = _matrix([21])
    view = matrix.view()
    assert view.heads.shape == (21, MATCH_LEN)  # only the first MATCH_LEN ids are kept per row for O
    assert len(view.sentences.row(1)) == len(tokenize(LINES[1]))  # R still reads the whole sentence
    assert [len(view.sentences.row(i)) for i in (0, 2)] == [5, 3]


def test_a_filtered_view_is_the_rows_it_keeps() -> None:
    matrix = _matrix([21])
    rows = np.flatnonzero(matrix.mask(MemoryFilter(metadata={"who": "mary"})))
    assert rows.tolist() == [i for i, line in enumerate(LINES) if "Mary" in line]
    filtered = matrix.view(rows)
    full = matrix.view()
    assert np.array_equal(filtered.candidate, full.candidate[rows])
    assert [filtered.sentences.row(i).tolist() for i in range(len(rows))] == [
        full.sentences.row(r).tolist() for r in rows
    ]
    mary = full.heads[0, 0]
    assert filtered.index.rows(int(mary)).tolist() == list(range(len(rows)))  # re-indexed in the view


def test_stored_word_ids_give_each_unseen_word_one_match_id_in_order_of_first_appearance() -> None:
    view = _matrix([21]).view()
    known = len(Vocabulary(["mary", "went", "to", "the", "kitchen", "home"]))
    zanele, picked, up = view.sentences.row(1)[:3].tolist()
    assert (zanele, picked, up) == (known, known + 1, known + 2)  # the first unseen words of the bank
    assert view.sentences.row(4)[:3].tolist() == [zanele, picked, up]  # the same words, the same ids
    assert view.sentences.row(1)[3] == view.sentences.row(0)[3]  # "the": a vocabulary id


def test_a_question_gives_its_unseen_words_ids_of_its_own_and_keeps_none() -> None:
    matrix = _matrix([21])
    kept = matrix.encoder.unseen_words()
    asked = matrix.encoder.question("Did Quillon see Zanele and Quillon?").matches[0].tolist()
    did, quillon, see, zanele, _, again = asked[:6]
    assert zanele == matrix.view().sentences.row(1)[0]  # the bank's word: its id in the bank
    assert quillon == again and quillon not in (did, see, zanele)  # a word no memory holds: one id, its own
    assert min(quillon, did, see) >= len(matrix.encoder.vocabulary) + len(kept)  # past every id of the bank
    assert matrix.encoder.unseen_words() == kept  # and the bank keeps none of them


def test_a_matrix_counts_the_bytes_it_holds(shipped_checkpoint) -> None:
    """``nbytes`` (what the cache counts) is what the matrices hold as tracemalloc sees every allocation:
    arrays, word index, unseen words, metadata, the fact matches of questions, and their Python objects."""
    model, vocabulary = shipped_checkpoint.model, shipped_checkpoint.vocabulary
    config = model.config
    banks = []
    for bank in range(40):
        lines = [f"Tenant{bank}x{i % 7} went to the place{i % 11}." for i in range(20 + 2 * bank)]
        embeddings, word_ids, unseen = stored_statements(model, vocabulary, [tokenize(line) for line in lines])
        metadata = [{"source": f"chat{i % 5}"} if i % 2 else None for i in range(len(lines))]
        banks.append((embeddings, word_ids, unseen, metadata))
    warm = BankMatrix(0, 1, BankEncoder(vocabulary), config.dim, config.match_len)
    embeddings, word_ids, unseen, _ = banks[0]
    warm.append(np.arange(3), word_ids[:3], unseen[:3], embeddings[:3], [None] * 3, np.zeros(3))
    warm.answer(model, Asked("Where is Tenant0x1?"), NO_FILTER)  # the model's tables: built once, kept
    gc.collect()
    tracemalloc.start()
    try:
        at_start = tracemalloc.get_traced_memory()[0]
        matrices = []
        for bank, (embeddings, word_ids, unseen, metadata) in enumerate(banks):
            matrix = BankMatrix(bank, 1, BankEncoder(vocabulary), config.dim, config.match_len)
            half = len(word_ids) // 2
            for rows in (slice(0, half), slice(half, len(word_ids))):  # a rebuild, then a write
                ids = np.arange(rows.start, rows.stop, dtype=np.int64)
                created = np.zeros(len(ids))
                matrix.append(ids, word_ids[rows], unseen[rows], embeddings[rows], metadata[rows], created)
            matrix.answer(model, Asked(f"Where is Tenant{bank}x3?"), NO_FILTER)
            matrices.append(matrix)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - at_start
    finally:
        tracemalloc.stop()
    counted = sum(matrix.nbytes() for matrix in matrices)
    assert abs(counted - held) <= 0.05 * held, (counted, held)
    assert sum(matrix.scratch.fact_matches.nbytes for matrix in matrices) > 0.1 * counted  # the questions' part
