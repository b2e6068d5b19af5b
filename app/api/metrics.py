"""GET /metrics in the Prometheus text format: requests by route template and status, latency of
/ask and /memories, the banks this process holds in memory, their bytes, the cache's budget and
its evictions, the model version.

Open to every caller, so it names no bank, statement or memory id: routes appear as their
templates (`/memories/{memory_id}`), never as the path a client sent.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, Info, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.responses import Response

from ..service import MemoryService

router = APIRouter(tags=["metrics"])

# latency buckets in seconds: /ask at 1,000 statements is about 5 ms, a 1,000-statement write about 30 ms
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
TIMED_ROUTES = ("/ask", "/memories")  # and the routes below /memories/


class Metrics:
    """One process's metrics, in a registry of its own (every app made in a process counts alone)."""

    def __init__(self, service: MemoryService) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "memnn_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "memnn_http_request_duration_seconds",
            "Seconds from a request's arrival to the end of its response, for /ask and the /memories routes.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        Info("memnn_model", "The model this process answers with.", registry=self.registry).info(
            {"name": service.checkpoint.name, "version": service.model_version}
        )
        self.registry.register(BankMatrices(service))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        if route in TIMED_ROUTES or route.startswith("/memories/"):
            self.latency.labels(method, route).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class BankMatrices(Collector):
    """The per-bank matrices this process holds (``MemoryCache``), read at each scrape."""

    def __init__(self, service: MemoryService) -> None:
        self.service = service

    def collect(self) -> Iterator[Metric]:
        use = self.service.cache.use()
        yield GaugeMetricFamily("memnn_banks_held", "Banks whose matrix this process holds in memory.", use.banks)
        yield GaugeMetricFamily(
            "memnn_cache_bytes",
            "Bytes of the held bank matrices: their arrays, word indexes, scratch and the Python objects around them.",
            use.nbytes,
        )
        yield GaugeMetricFamily(
            "memnn_cache_budget_bytes",
            "The most the held bank matrices may take together (MEMNN_CACHE_MB); -1: no bound.",
            use.budget if use.budget is not None else -1,
        )
        yield CounterMetricFamily(
            "memnn_cache_evictions",
            "Bank matrices dropped to keep the cache within its budget, least recently asked first (each is "
            "rebuilt from the database at its bank's next question).",
            use.evictions,
        )


@router.get(
    "/metrics",
    include_in_schema=False,  # text for Prometheus, not part of the JSON API the OpenAPI document describes
    response_class=Response,
)
def metrics(request: Request) -> Response:
    """Prometheus text format; no API key needed."""
    process_metrics: Metrics = request.app.state.metrics
    return Response(process_metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
