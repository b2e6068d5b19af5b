"""The tests start servers with the benchmarks' helper, and speak to them over raw sockets."""

import socket

from bench.server import free_port, serving, start, stop

__all__ = ["exchange", "free_port", "serving", "start", "stop"]


def exchange(port: int, head: bytes, chunks: list[bytes], wait: float = 10.0) -> bytes:
    """Send a request's head and body chunks; everything the server answers until it closes
    ("<still open>" after it if the server still holds the connection open ``wait`` seconds later)."""
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.settimeout(wait)
        connection.sendall(head)
        for chunk in chunks:
            connection.sendall(chunk)
        answer = b""
        while True:
            try:
                part = connection.recv(65536)
            except TimeoutError:
                return answer + b"<still open>"
            if not part:
                return answer
            answer += part
