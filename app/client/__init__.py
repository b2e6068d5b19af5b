"""A Python client of the memnn REST API: every endpoint as a typed method, on httpx.

```python
from app.client import Client

with Client("http://127.0.0.1:8000", api_key="mk_...") as memnn:
    memnn.add_memories("b1", ["Joe went to the kitchen.", "Joe picked up the milk."])
    answer = memnn.ask("b1", "Where is the milk?")
    for memory in memnn.iter_memories("b1"):
        print(memory.position, memory.text)
```

``AsyncClient`` has the same methods as coroutines (and async iterators). Answers are pydantic
models (``app.client.models``); a failed call raises a ``MemnnError`` (``app.client.errors``);
which calls are retried, and why a retried write is never stored twice, is in ``app.client.calls``.
"""

from .aio import AsyncClient
from .calls import UNCHANGED, RetryPolicy
from .errors import (
    ApiError,
    Conflict,
    ConnectionFailed,
    Forbidden,
    InvalidRequest,
    MemnnError,
    NotFound,
    PayloadTooLarge,
    RequestTimeout,
    ServerError,
    Unauthorized,
    Unavailable,
)
from .sync import Client

__all__ = [
    "UNCHANGED",
    "ApiError",
    "AsyncClient",
    "Client",
    "Conflict",
    "ConnectionFailed",
    "Forbidden",
    "InvalidRequest",
    "MemnnError",
    "NotFound",
    "PayloadTooLarge",
    "RequestTimeout",
    "RetryPolicy",
    "ServerError",
    "Unauthorized",
    "Unavailable",
]
