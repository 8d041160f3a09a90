"""Structured JSON-lines logs (identifiers masked by the callers) and Prometheus metrics.

Metrics are prometheus_client's (issue #17: a kept library instead of a hand-written exposition).
``ehc node serve --processes N`` runs N worker processes behind one port, and a /metrics request
reaches any one of them: the supervisor gives every worker ``PROMETHEUS_MULTIPROC_DIR`` (a
``metrics`` folder of the node's data dir, emptied at start), so each process writes its samples
to its own mmap file and the /metrics of any worker adds all of them up (prometheus_client's
multiprocess mode). A single process keeps its values in memory.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.multiprocess import MultiProcessCollector

# the request-latency buckets the node has always exposed (seconds; +Inf is added by the library)
_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

# `_created` series double the exposition and cost a clock read per new child; nothing reads them
prometheus_client.disable_created_metrics()

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = prometheus_client.CONTENT_TYPE_LATEST

# Every metric the node exposes: name -> (kind, help, label names). A label a call does not pass
# is exposed empty (Prometheus reads an empty label as absent), so
# ``ehc_node_usage_total{result="duplicate"}`` keeps its meaning next to ``card_type``.
METRICS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "ehc_node_requests_total": ("counter", "gRPC calls by method and result code", ("method", "result")),
    "ehc_node_request_seconds": ("histogram", "gRPC unary call latency", ("method",)),
    "ehc_node_verifications_total": ("counter", "verifications by medium and result", ("medium", "result")),
    "ehc_node_usage_total": ("counter", "usage reports by result and card type", ("result", "card_type")),
    "ehc_node_cards_issued_total": ("counter", "cards issued", ()),
    "ehc_node_qr_issued_total": ("counter", "QR codes issued by the node", ("code_type",)),
    "ehc_node_card_transitions_total": ("counter", "card status changes by action", ("action",)),
    "ehc_node_card_cache_total": ("counter", "card cache lookups by result", ("result",)),
    "ehc_node_resolve_total": ("counter", "main-index resolutions by medium", ("medium",)),
    "ehc_node_http_requests_total": ("counter", "REST gateway calls by path and result", ("path", "result")),
    "ehc_node_http_connections_refused_total": ("counter", "HTTP connections refused over the cap", ()),
    "ehc_node_http_connections_timed_out_total": ("counter", "HTTP connections closed at header timeout", ()),
    "ehc_node_nonce_forced_evictions_total": ("counter", "nonces evicted before their window ended", ()),
    "ehc_node_rate_limited_total": ("counter", "calls refused by the rate limiter", ()),
    "ehc_node_hospital_card_refused_total": ("counter", "hospital-card calls refused by policy", ("action",)),
    "ehc_node_platform_requests_total": ("counter", "platform front-door calls", ("platform", "result")),
}


def multiprocess_dir() -> str | None:
    """The multiprocess folder when prometheus_client was imported in multiprocess mode, else None."""
    if values.ValueClass is values.MutexValue:
        return None
    return os.environ.get(MULTIPROC_ENV) or None


def reset_multiprocess_dir(path: str | os.PathLike[str]) -> Path:
    """An empty folder for the workers' metric files (a previous run's counts must not carry over)."""
    folder = Path(path)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(mode=0o700, parents=True)
    return folder


class Metrics:
    """The node's counters and latency histograms (prometheus_client), rendered for /metrics.

    ``inc``/``observe`` take the metric name and its labels as keywords, as the services always
    called them; the labelled child is cached per label values (the hot path does one dict lookup
    before prometheus_client's own lock-protected add)."""

    def __init__(self) -> None:
        self._multiproc = multiprocess_dir()
        self.registry = CollectorRegistry(auto_describe=True)
        # multiprocess mode: values live in the mmap files; the registry collects them from there
        owner = None if self._multiproc else self.registry
        self._metrics: dict[str, Any] = {}
        for name, (kind, doc, labels) in METRICS.items():
            if kind == "histogram":
                self._metrics[name] = Histogram(name, doc, labels, registry=owner, buckets=_BUCKETS)
            else:
                self._metrics[name] = Counter(name, doc, labels, registry=owner)
        if self._multiproc:
            MultiProcessCollector(self.registry, self._multiproc)
        self._children: dict[tuple[Any, ...], Any] = {}

    def _child(self, name: str, labels: dict[str, str]) -> Any:
        key = (name, *labels.items())
        child = self._children.get(key)
        if child is None:
            metric = self._metrics.get(name)
            if metric is None:
                raise KeyError(f"metric {name} is not declared in reference_node.observability.METRICS")
            names = METRICS[name][2]
            unknown = set(labels) - set(names)
            if unknown:
                raise KeyError(f"metric {name} has no label {sorted(unknown)}")
            child = metric.labels(*(str(labels.get(n, "")) for n in names)) if names else metric
            self._children[key] = child
        return child

    def child(self, name: str, **labels: str) -> Any:
        """The labelled child itself (its ``inc``/``observe``), for a hot path that records the
        same labels on every call: it keeps it and skips the per-call label lookup (issue #14)."""
        return self._child(name, labels)

    def inc(self, name: str, value: float = 1.0, **labels: str) -> None:
        self._child(name, labels).inc(value)

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        self._child(name, labels).observe(seconds)

    def value(self, name: str, **labels: str) -> float:
        """A counter's current value (all processes in multiprocess mode); 0 if never counted."""
        names = METRICS.get(name, ("", "", ()))[2]
        full = {n: str(labels.get(n, "")) for n in names}
        got = self.registry.get_sample_value(name, full)
        return got or 0.0

    def render(self) -> bytes:
        """The Prometheus text exposition (``generate_latest``)."""
        return generate_latest(self.registry)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg and the record's ``fields`` (already masked)."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            out.update(fields)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(out, ensure_ascii=False, default=str)


def setup_logging(level: str = "INFO", stream: object = None) -> logging.Logger:
    logger = logging.getLogger("reference_node")
    if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False
    return logger


def log(logger: logging.Logger, level: int, msg: str, **fields: object) -> None:
    if logger.isEnabledFor(level):
        logger.log(level, msg, extra={"fields": fields})


class Throttled:
    """Counts an event and logs it at most once per interval (with the count since the last line)."""

    def __init__(
        self,
        message: str,
        interval_s: float = 10.0,
        *,
        level: int = logging.WARNING,
        logger: str = "reference_node",
    ) -> None:
        self.message = message
        self.level = level
        self.logger = logging.getLogger(logger)
        self.interval = interval_s
        self.count = 0
        self.total = 0
        self._last = 0.0
        self._lock = threading.Lock()

    def hit(self, **fields: object) -> None:
        with self._lock:
            self.count += 1
            self.total += 1
            now = time.monotonic()
            if now - self._last < self.interval:
                return
            self._last, count, self.count = now, self.count, 0
        log(self.logger, self.level, self.message, count=count, interval_s=self.interval, **fields)

    def next_now(self) -> None:
        """Log the next event at once (a new interval starts)."""
        with self._lock:
            self._last = 0.0
