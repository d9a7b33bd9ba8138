"""Prometheus metrics, labelled by operationId, method and status only (bounded cardinality).

With several uvicorn workers, PROMETHEUS_MULTIPROC_DIR (set and cleaned by run.py) makes each
worker write its samples to files that ``/metrics`` aggregates, whichever worker answers.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

LATENCY_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
)  # fmt: skip
SIZE_BUCKETS = tuple(float(4**n) for n in range(2, 15))  # 16 B .. 256 MiB
LABELS = ("operation", "method", "status")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "assistants_requests", "HTTP requests answered.", LABELS, registry=self.registry
        )
        self.latency = Histogram(
            "assistants_request_duration_seconds",
            "Time from request to the last byte of the response.",
            LABELS,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.request_size = Histogram(
            "assistants_request_size_bytes",
            "Request body sizes.",
            LABELS,
            buckets=SIZE_BUCKETS,
            registry=self.registry,
        )
        self.response_size = Histogram(
            "assistants_response_size_bytes",
            "Response body sizes.",
            LABELS,
            buckets=SIZE_BUCKETS,
            registry=self.registry,
        )
        self._series: dict[tuple[str, str, int], tuple[Any, Any, Any, Any]] = {}

    def observe(
        self, operation: str, method: str, status: int, seconds: float, received: int, sent: int
    ) -> None:
        key = (operation, method, status)
        series = self._series.get(key)
        if series is None:
            # The labelled children, looked up once per label set (bounded: operations x
            # methods x statuses) instead of on every request.
            labels = (operation, method, str(status))
            series = self._series[key] = (
                self.requests.labels(*labels),
                self.latency.labels(*labels),
                self.request_size.labels(*labels),
                self.response_size.labels(*labels),
            )
        requests, latency, request_size, response_size = series
        requests.inc()
        latency.observe(seconds)
        request_size.observe(received)
        response_size.observe(sent)

    def exposition(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)
