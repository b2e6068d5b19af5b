"""The memory service: G writes through the store and the cache; O and R answer from the cache.

Routes call one method here; the math is in ``app.memnn``, the SQL in ``app.store``.
"""

from __future__ import annotations

import itertools
import logging
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from .memnn.checkpoint import Checkpoint
from .memnn.serving import encode
from .memnn.serving.answer import Asked, HopCandidates, ModelAnswer
from .memnn.text import surface_form, tokenize
from .process_memory import collector_paused, release_free_memory
from .store import bank_rows, idempotency, repository, snapshot, transfer
from .store.bank_matrix import BankMatrix, EmptyBank
from .store.bank_rows import BankColumns, Refreshed
from .store.cache import MemoryCache
from .store.filters import MemoryFilter
from .store.records import ImportBatch, NewMemory, Portable, StoredMemory, Version
from .store.repository import NO_FILTER, BankSummary

log = logging.getLogger("memnn")
ASK_ATTEMPTS = 3  # answers computed before another writer's change is noticed are computed again


@dataclass
class Evidence:
    memory: StoredMemory
    hop: int
    score: float


@dataclass
class Candidate:
    id: int
    text: str
    position: int
    score: float


@dataclass
class ConsideredHop:
    hop: int
    candidates: list[Candidate]
    stop_score: float


@dataclass
class AskResult:
    answer: str
    score: float
    alternatives: list[tuple[str, float]]
    evidence: list[Evidence]
    considered: list[ConsideredHop]


@dataclass
class Page:
    memories: list[StoredMemory]
    has_more: bool
    total: int


class MemoryService:
    def __init__(
        self,
        checkpoint: Checkpoint,
        sessions: sessionmaker[Session],
        word_hashing: bool = False,
        snapshots: Path | None = None,
        snapshot_min_rows: int = 100_000,
        cache_bytes: int | None = None,
    ) -> None:
        """``cache_bytes``: the most the bank matrices may hold together (None: no bound), ``MemoryCache``."""
        self.checkpoint = checkpoint
        self.word_hashing = word_hashing
        self.snapshots, self.snapshot_min_rows = snapshots, snapshot_min_rows
        self.model_version = checkpoint.version
        self.sessions = sessions
        self.cache = MemoryCache(cache_bytes)
        self._too_large: set[str] = set()  # banks logged as larger than the whole cache
        self.width = encode.embedding_width(checkpoint.model)

    # -- G -------------------------------------------------------------------------------

    def add(self, bank: str, statements: list[str], metadata: dict[str, Any] | None = None) -> list[StoredMemory]:
        """Store every statement verbatim, with its tokens and embeddings, in one transaction."""
        new = self._new_memories(statements, metadata)
        with self.sessions.begin() as session:
            written = repository.add_memories(session, bank, new, self.model_version)
        self._appended(bank, written, new)
        return written.rows

    def add_once(
        self,
        bank: str,
        statements: list[str],
        metadata: dict[str, Any] | None,
        request: idempotency.IdempotentRequest,
        render: Callable[[list[StoredMemory]], dict[str, Any]],
    ) -> dict[str, Any]:
        """``add`` under an idempotency key: the key is claimed and the first response stored with the
        rows, in one transaction; a repeat of the key with the same body gets that response and writes
        nothing, with another body a ``KeyReused``."""
        new = self._new_memories(statements, metadata)
        with self.sessions.begin() as session:
            if not idempotency.claim(session, request):
                return idempotency.replay(session, request)
            written = repository.add_memories(session, bank, new, self.model_version)
            response = render(written.rows)
            idempotency.finish(session, request, response, written.bank_id, written.rows[0].position, len(new))
        self._appended(bank, written, new)
        return response

    def _new_memories(self, statements: list[str], metadata: dict[str, Any] | None) -> list[NewMemory]:
        token_lists = [tokenize(text) for text in statements]
        checkpoint = self.checkpoint
        embeddings, word_ids, unseen = encode.stored_statements(checkpoint.model, checkpoint.vocabulary, token_lists)
        return [
            NewMemory(text, tokens, metadata, row.tobytes(), row_ids, row_unseen)
            for text, tokens, row, row_ids, row_unseen in zip(
                statements, token_lists, embeddings, word_ids, unseen, strict=True
            )
        ]

    def _appended(self, bank: str, written: repository.Written, new: list[NewMemory]) -> None:
        """Grow the bank's matrix with rows just written, if no other write came between. The rows are
        committed: whatever goes wrong here costs the matrix (rebuilt at the next question), never the write."""
        matrix = self.cache.peek(bank)  # a write leaves the bank's place among the least recently asked
        if matrix is None:
            return
        held = None  # what the matrix holds, once grown
        try:
            embeddings = np.frombuffer(b"".join(m.embedding for m in new), dtype=np.float32)
            with matrix.lock:
                if matrix.write_sequence == written.write_sequence - 1:
                    matrix.append(
                        written.row_ids,
                        [m.word_ids for m in new],
                        [m.unseen_words for m in new],
                        embeddings.reshape(len(new), self.width),
                        [m.metadata for m in written.rows],
                        np.array([m.created_at.timestamp() for m in written.rows]),
                    )
                    matrix.write_sequence = written.write_sequence
                    held = matrix.held()
        except Exception:  # the matrix may be half grown: it must not answer again
            log.exception("could not append the rows just written to bank %r's matrix: dropping it", bank)
        if held is None:
            self.cache.drop(bank)
        else:
            self.cache.resize(bank, matrix, held)

    # -- O and R -------------------------------------------------------------------------

    def ask(
        self,
        bank: str,
        question: str,
        max_hops: int | None,
        explain_top: int = 0,
        where: MemoryFilter = NO_FILTER,
    ) -> AskResult:
        """Answer from the bank's memories, or from the slice ``where`` selects (a mask over the matrix).

        The answer comes from the in-memory matrix; then one query both fetches the evidence rows
        and checks that no other writer (a replica) changed the bank meanwhile. If one did, the
        matrix is rebuilt and the question answered again.
        """
        asked = Asked(question, max_hops, explain_top, self.word_hashing)
        for _ in range(ASK_ATTEMPTS):
            matrix = self._matrix(bank)
            try:
                answered = matrix.answer(self.checkpoint.model, asked, where)
            except EmptyBank as empty:
                raise empty.naming(bank) from None
            self.cache.resize(bank, matrix, answered.held)
            with self.sessions() as session:
                current, stored = repository.current_rows(session, bank, answered.model.memories())
            if current == answered.read_at:
                break
            if not matrix.stands_at(current):  # a write of this process may have caught the matrix up meanwhile
                self.cache.drop(bank)  # another writer moved on: answer again from the rows as they are now
        return _with_evidence(answered.model, stored)

    def _matrix(self, bank: str) -> BankMatrix:
        """The bank's matrix, built from its rows if this process holds none (once, however many ask)."""
        matrix = self.cache.get(bank)
        if matrix is None:
            with self.cache.building(bank):
                matrix = self.cache.get(bank) or self._built(bank)
        return matrix

    def _built(self, bank: str) -> BankMatrix:
        """The bank's matrix, built and held in the cache if it fits there (said once per bank if not)."""
        matrix = self._rebuild(bank)
        if not self.cache.put(bank, matrix) and bank not in self._too_large:
            self._too_large.add(bank)
            log.warning(
                "bank %r needs %.1f MB, more than the whole cache (%.1f MB, MEMNN_CACHE_MB): it is built again "
                "for every question; raise MEMNN_CACHE_MB to keep it",
                bank,
                matrix.nbytes() / 2**20,
                (self.cache.budget or 0) / 2**20,
            )
        return matrix

    def _rebuild(self, bank: str) -> BankMatrix:
        """The bank's matrix, read from its rows (rows of another model version embedded and encoded again first)."""
        config = self.checkpoint.model.config
        with self.sessions.begin() as session:
            bank_id, sequence = repository.write_sequence(session, bank)
            encoder = encode.BankEncoder(self.checkpoint.vocabulary)
            if self.snapshots is not None:
                saved = snapshot.load(
                    self.snapshots, bank, bank_id, sequence, self.model_version, encoder, config.match_len
                )
                if saved is not None:
                    release_free_memory()
                    return saved
            matrix = BankMatrix(bank_id, sequence, encoder, config.dim, config.match_len)
            matrix.reserve(bank_rows.bank_size(session, bank_id))
            fresh: dict[int, Refreshed] = {}
            with collector_paused():
                for columns in bank_rows.bank_columns(session, bank_id, self.width, self.model_version):
                    fresh |= self._refreshed(columns)
                    matrix.append(
                        columns.ids,
                        columns.word_ids,
                        columns.unseen_words,
                        columns.embeddings,
                        columns.metadata,
                        columns.created,
                        index=False,
                    )
            bank_rows.store_refreshed(session, fresh, self.model_version)  # once the rows are read
        matrix.index_rest()
        matrix.encoder.compact()
        release_free_memory()  # the rows' Python objects are gone: give their pages back
        return matrix

    def _refreshed(self, columns: BankColumns) -> dict[int, Refreshed]:
        """Rows embedded by another model version, or stored without word ids, are embedded and
        encoded again by this model, in ``columns``; returns them by memory id, to be stored back."""
        stale = columns.stale()
        if not len(stale):
            return {}
        token_lists = [cast(list[str], columns.tokens[i]) for i in stale]
        checkpoint = self.checkpoint
        embeddings, word_ids, unseen = encode.stored_statements(checkpoint.model, checkpoint.vocabulary, token_lists)
        refreshed = {}
        for row, embedding, row_ids, row_unseen in zip(stale, embeddings, word_ids, unseen, strict=True):
            columns.refresh(row, embedding, row_ids, row_unseen)
            refreshed[int(columns.ids[row])] = Refreshed(embedding.tobytes(), row_ids, row_unseen)
        return refreshed

    def save_snapshots(self) -> list[str]:
        """Save every cached matrix of at least ``snapshot_min_rows`` rows that is current (at shutdown)."""
        if self.snapshots is None:
            return []
        saved = []
        for bank, matrix in self.cache.items():
            if matrix.size < self.snapshot_min_rows:
                continue
            with matrix.lock:
                with self.sessions() as session:
                    try:
                        current = repository.write_sequence(session, bank)
                    except repository.BankNotFound:
                        continue
                if current == (matrix.bank_id, matrix.write_sequence):
                    try:
                        snapshot.save(self.snapshots, bank, matrix, self.model_version)
                    except OSError as error:  # a snapshot is only a speed-up: never fail a shutdown over it
                        log.warning("could not save the snapshot of bank %r: %s", bank, error)
                        continue
                    saved.append(bank)
        return saved

    def reembed_all(self, progress: Any = None) -> int:
        """Re-embed every bank holding rows of another model version; returns rows touched."""
        with self.sessions() as session:
            banks = bank_rows.stale_bank_ids(session, self.model_version)
        touched = 0
        for bank_id in banks:
            with self.sessions.begin() as session:
                fresh: dict[int, Refreshed] = {}
                for columns in bank_rows.bank_columns(session, bank_id, self.width, self.model_version):
                    fresh |= self._refreshed(columns)
                bank_rows.store_refreshed(session, fresh, self.model_version)
                touched += len(fresh)
            if progress:
                progress(1)
        return touched

    # -- inspection and forgetting -------------------------------------------------------

    def page(self, bank: str, limit: int, after_position: int | None, where: MemoryFilter = NO_FILTER) -> Page:
        with self.sessions() as session:
            rows, has_more, total = repository.list_memories(session, bank, limit, after_position, where)
        return Page(rows, has_more, total)

    def delete_matching(self, bank: str, where: MemoryFilter) -> int:
        with self.sessions.begin() as session:
            deleted = repository.delete_matching(session, bank, where)
        self.cache.drop(bank)
        return deleted

    def correct(self, memory_id: int, text: str | None, metadata: Any, change_metadata: bool) -> StoredMemory:
        """A correction: new text (re-embedded now, under this model) and/or metadata; same position."""
        rewritten = self._new_memories([text], None)[0] if text is not None else None
        with self.sessions.begin() as session:
            stored = repository.correct_memory(
                session, memory_id, rewritten, metadata, self.model_version, change_metadata
            )
        self.cache.drop(stored.bank)
        return stored

    def export(self, bank: str) -> Iterator[Portable]:
        """The bank's memories in write order, read a page at a time."""
        return transfer.export_rows(self.sessions, bank)

    def check_bank(self, bank: str) -> None:
        with self.sessions() as session:
            repository.bank_id(session, bank)

    def import_bank(
        self, bank: str, batches: Iterable[ImportBatch], progress: Callable[[int], object] | None = None
    ) -> int:
        """Load exported rows into an empty bank as they come, a batch at a time, embedding them under
        this model, in one transaction: a problem on any line (a ``batches`` error) leaves nothing.
        ``progress`` is called with each batch's number of rows once it is written."""
        batches = iter(batches)
        first = next(batches, None)  # the first lines checked before the bank is locked
        if first is None:
            return 0
        imported = 0
        with self.sessions.begin() as session:
            loading = transfer.BankImport(session, bank)
            for batch in itertools.chain([first], batches):
                statements = self._new_memories([row.text for row in batch.rows], None)
                loading.write(batch, statements, self.model_version)
                imported += len(batch.rows)
                if progress is not None:
                    progress(len(batch.rows))
            loading.finish()
        self.cache.drop(bank)
        return imported

    def history(self, memory_id: int) -> list[Version]:
        with self.sessions() as session:
            return repository.history(session, memory_id)

    def get(self, memory_id: int) -> StoredMemory:
        with self.sessions() as session:
            return repository.get_memory(session, memory_id)

    def forget(self, memory_id: int) -> StoredMemory:
        with self.sessions.begin() as session:
            stored = repository.delete_memory(session, memory_id)
        self.cache.drop(stored.bank)
        return stored

    def database_health(self) -> tuple[bool, bool]:
        """(a query reached the database, a write to it committed)."""
        try:
            with self.sessions() as session:
                session.execute(select(1))
        except SQLAlchemyError:
            return False, False
        try:
            with self.sessions.begin() as session:
                repository.record_readiness(session)
        except SQLAlchemyError as error:
            # the failed statement's frames hold its connection in a cycle; cleared, it closes now
            # (``database._reopen_when_read_only`` says why a read-only one must)
            traceback.clear_frames(error.__traceback__)
            return True, False
        return True, True

    def banks(self) -> list[BankSummary]:
        with self.sessions() as session:
            return repository.list_banks(session)

    def delete_bank(self, bank: str) -> int:
        with self.sessions.begin() as session:
            deleted = repository.delete_bank(session, bank)
        self.cache.drop(bank)
        return deleted


def _with_evidence(found: ModelAnswer, stored: dict[int, StoredMemory]) -> AskResult:
    """The answer with its memories as stored; one forgotten since the matrix was read (rare: the
    retries ran out) is left out."""
    evidence = [Evidence(stored[h.memory], hop, h.score) for hop, h in enumerate(found.hops, 1) if h.memory in stored]
    considered = [ConsideredHop(hop.hop, _candidates(hop, stored), hop.stop_score) for hop in found.considered]
    # an answer word comes back as the evidence wrote it: "Mount-Doom", not "mount-doom"
    texts = [e.memory.text for e in evidence] + [c.text for hop in considered for c in hop.candidates]
    answer = ",".join(surface_form(word, texts) or word for word in found.words)
    alternatives = [(surface_form(word, texts) or word, score) for word, score in found.alternatives]
    return AskResult(answer, found.score, alternatives, evidence, considered)


def _candidates(hop: HopCandidates, stored: dict[int, StoredMemory]) -> list[Candidate]:
    """A hop's candidate memories as stored, those forgotten since left out."""
    return [
        Candidate(memory.id, memory.text, memory.position, weighed.score)
        for weighed in hop.candidates
        if (memory := stored.get(weighed.memory)) is not None
    ]
