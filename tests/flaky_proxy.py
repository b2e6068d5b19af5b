"""A TCP proxy in front of a real server that spoils the first requests it is told to: it forwards
such a request and closes the connection before the answer reaches the client (an answer lost on
the way back), or answers 503 itself. It keeps every request's head, to check what a client sent."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCKED = b'{"detail": "the database is locked (said by the proxy)", "errors": []}'
UNAVAILABLE = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 0\r\n"
    + f"content-length: {len(_LOCKED)}\r\n\r\n".encode()
    + _LOCKED
)


class FlakyProxy:
    def __init__(self, upstream_port: int, spoil: str, times: int = 1) -> None:
        assert spoil in ("drop answer", "503")
        self.upstream_port, self.spoil, self.left = upstream_port, spoil, times
        self.heads: list[str] = []  # every request's head, in arrival order
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def serve(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._connection, args=(client,), daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def _connection(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        try:
            with client, upstream:
                while (request := _message(client)) is not None:
                    with self._lock:
                        self.heads.append(request.split(b"\r\n\r\n", 1)[0].decode("latin-1"))
                        spoiled = self.left > 0
                        self.left -= spoiled
                    if spoiled and self.spoil == "503":
                        client.sendall(UNAVAILABLE)
                        continue
                    upstream.sendall(request)
                    response = _message(upstream)
                    if spoiled or response is None:
                        return  # the server answered; the client never hears it
                    client.sendall(response)
        except OSError:
            return


def _message(connection: socket.socket) -> bytes | None:
    """One HTTP message with a Content-Length body (or none), or None when the peer closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head + b"\r\n\r\n" + body


@contextmanager
def flaky(upstream_port: int, spoil: str, times: int = 1) -> Iterator[FlakyProxy]:
    proxy = FlakyProxy(upstream_port, spoil, times)
    thread = threading.Thread(target=proxy.serve, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.close()
        thread.join(timeout=5)
