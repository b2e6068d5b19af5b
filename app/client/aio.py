"""``AsyncClient``: every endpoint as a coroutine, on ``httpx.AsyncClient``; the same methods as ``Client``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping
from types import TracebackType
from typing import Any, TypeVar

import httpx

from . import calls
from .calls import UNCHANGED, Call, RetryPolicy, Time, Unchanged
from .errors import ConnectionFailed, error_of
from .models import (
    AskOut,
    BankDeleted,
    BankOut,
    DeletedCount,
    ExportLine,
    Health,
    HistoryOut,
    ImportResult,
    MemoriesCreated,
    MemoryOut,
    MemoryPage,
    ModelInfo,
    Readiness,
)

T = TypeVar("T")


class AsyncClient:
    """A memnn service at ``base_url``, with ``api_key`` (from `memnn keys create`); use it in
    ``async with`` or ``await client.aclose()``.

    A failed call raises a ``MemnnError``: an ``ApiError`` subclass per status, carrying the service's
    message, or ``ConnectionFailed``. Calls that are safe to repeat are tried ``retries`` more times
    after a 503 or a connection error (``calls`` says which); every write carries an Idempotency-Key,
    the same on every try.
    """

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        retries: int = 2,
        backoff_seconds: float = 0.5,
    ) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, headers=calls.headers_for(api_key), timeout=timeout)
        self.retry = RetryPolicy(retries, backoff_seconds)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()

    # -- memories ------------------------------------------------------------------------

    async def add_memories(
        self,
        bank: str,
        statements: list[str] | None = None,
        *,
        text: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> MemoriesCreated:
        """Store statements (or a paragraph, ``text``) at the bank's next write positions."""
        return await self._run(calls.add_memories(bank, statements, text, metadata, idempotency_key))

    async def list_memories(
        self,
        bank: str,
        *,
        limit: int = 50,
        cursor: str | None = None,
        metadata: Mapping[str, str] | None = None,
        created_after: Time | None = None,
        created_before: Time | None = None,
    ) -> MemoryPage:
        """One page, in write order; pass its ``next_cursor`` as ``cursor`` for the next."""
        return await self._run(calls.list_memories(bank, limit, cursor, metadata, created_after, created_before))

    async def iter_memories(
        self,
        bank: str,
        *,
        page_size: int = 100,
        metadata: Mapping[str, str] | None = None,
        created_after: Time | None = None,
        created_before: Time | None = None,
    ) -> AsyncIterator[MemoryOut]:
        """Every matching memory, in write order, a page at a time."""
        cursor: str | None = None
        while True:
            page = await self.list_memories(
                bank,
                limit=page_size,
                cursor=cursor,
                metadata=metadata,
                created_after=created_after,
                created_before=created_before,
            )
            for memory in page.memories:
                yield memory
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def get_memory(self, memory_id: int) -> MemoryOut:
        return await self._run(calls.get_memory(memory_id))

    async def correct_memory(
        self, memory_id: int, *, text: str | None = None, metadata: Mapping[str, Any] | None | Unchanged = UNCHANGED
    ) -> MemoryOut:
        """New text and/or metadata (``metadata=None`` removes it); same id and position, version + 1."""
        return await self._run(calls.correct_memory(memory_id, text, metadata))

    async def forget_memory(self, memory_id: int) -> MemoryOut:
        """Delete one memory; answers the deleted row."""
        return await self._run(calls.forget_memory(memory_id))

    async def memory_history(self, memory_id: int) -> HistoryOut:
        return await self._run(calls.memory_history(memory_id))

    async def delete_memories(
        self,
        bank: str,
        *,
        metadata: Mapping[str, str] | None = None,
        created_after: Time | None = None,
        created_before: Time | None = None,
    ) -> DeletedCount:
        """Delete exactly the bank's memories that match (every one without filters)."""
        return await self._run(calls.delete_memories(bank, metadata, created_after, created_before))

    # -- answers -------------------------------------------------------------------------

    async def ask(
        self,
        bank: str,
        question: str,
        *,
        k: int | None = None,
        explain: bool = False,
        metadata: Mapping[str, str] | None = None,
        created_after: Time | None = None,
        created_before: Time | None = None,
    ) -> AskOut:
        """The answer, with the memories behind it hop by hop (and each hop's runners-up with ``explain``)."""
        return await self._run(calls.ask(bank, question, k, explain, metadata, created_after, created_before))

    # -- banks ---------------------------------------------------------------------------

    async def banks(self) -> list[BankOut]:
        """The banks the key may read, by name."""
        return await self._run(calls.banks())

    async def delete_bank(self, bank: str) -> BankDeleted:
        return await self._run(calls.delete_bank(bank))

    async def export_bank(self, bank: str) -> AsyncIterator[ExportLine]:
        """The bank's memories with their history, a line at a time as they arrive."""
        call = calls.export_bank(bank)
        response = await self._send(call, stream=True)
        try:
            async for line in response.aiter_lines():
                if line.strip():
                    yield calls.export_line(line)
        except httpx.TransportError as error:
            raise ConnectionFailed(f"GET {call.path}: the export broke off: {error}") from error
        finally:
            await response.aclose()

    async def import_bank(self, bank: str, lines: Iterable[ExportLine | Mapping[str, Any]]) -> ImportResult:
        """Load an export into an empty (or new) bank."""
        return await self._run(calls.import_bank(bank, lines))

    # -- the service ---------------------------------------------------------------------

    async def model(self) -> ModelInfo:
        return await self._run(calls.model())

    async def health(self) -> Health:
        return await self._run(calls.health())

    async def ready(self) -> Readiness:
        """Whether the database answers and takes a write (``status`` "ready" or "not ready")."""
        return await self._run(calls.ready())

    async def metrics(self) -> str:
        """The Prometheus text of `GET /metrics`."""
        return await self._run(calls.metrics())

    # -- sending -------------------------------------------------------------------------

    async def _run(self, call: Call[T]) -> T:
        return calls.answer(call, await self._send(call))

    async def _send(self, call: Call[Any], stream: bool = False) -> httpx.Response:
        """The response to ``call`` once no retry is due; an error status raises (a streamed one is read first)."""
        tries = 0
        while True:
            tries += 1
            request = self._http.build_request(
                call.method, call.path, params=call.params, json=call.json, content=call.content, headers=call.headers
            )
            try:
                response = await self._http.send(request, stream=stream)
            except httpx.TransportError as error:
                wait = self.retry.after_error(call, error, tries)
                if wait is None:
                    raise ConnectionFailed(f"{call.method} {call.path}: {error!r} (after {tries} tries)") from error
                await asyncio.sleep(wait)
                continue
            wait = self.retry.after_response(call, response, tries)
            if wait is None and (not stream or response.status_code in call.answers):
                return response
            await response.aread()
            await response.aclose()
            if wait is None:
                raise error_of(response)
            await asyncio.sleep(wait)
