"""The tests start servers with the benchmarks' helper."""

from bench.server import free_port, serving, start, stop

__all__ = ["free_port", "serving", "start", "stop"]
