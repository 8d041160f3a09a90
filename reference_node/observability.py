"""Structured JSON-lines logs (identifiers masked by the callers) and Prometheus text metrics."""

from __future__ import annotations

import bisect
import json
import logging
import sys
import threading
import time
from collections import defaultdict

_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """Counters and latency histograms with labels, rendered in the Prometheus text format."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[tuple[str, tuple[tuple[str, str], ...]], float] = defaultdict(float)
        self._hist: dict[tuple[str, tuple[tuple[str, str], ...]], list[float]] = {}

    def inc(self, name: str, value: float = 1.0, **labels: str) -> None:
        key = (name, tuple(sorted(labels.items())))
        with self._lock:
            self._counters[key] += value

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        key = (name, tuple(sorted(labels.items())))
        with self._lock:
            h = self._hist.get(key)
            if h is None:
                h = self._hist[key] = [0.0] * (len(_BUCKETS) + 2)  # buckets..., +Inf, sum
            i = bisect.bisect_left(_BUCKETS, seconds)
            h[i] += 1
            h[-1] += seconds

    def value(self, name: str, **labels: str) -> float:
        return self._counters.get((name, tuple(sorted(labels.items()))), 0.0)

    def render(self) -> str:
        lines: list[str] = []
        with self._lock:
            counters = dict(self._counters)
            hists = {k: list(v) for k, v in self._hist.items()}
        seen: set[str] = set()
        for (name, labels), v in sorted(counters.items()):
            if name not in seen:
                lines.append(f"# TYPE {name} counter")
                seen.add(name)
            lines.append(f"{name}{_labels(labels)} {v:g}")
        for (name, labels), h in sorted(hists.items()):
            if name not in seen:
                lines.append(f"# TYPE {name} histogram")
                seen.add(name)
            cumulative = 0.0
            for bound, count in zip((*_BUCKETS, float("inf")), h[:-1], strict=True):
                cumulative += count
                le = "+Inf" if bound == float("inf") else f"{bound:g}"
                lines.append(f"{name}_bucket{_labels(labels + (('le', le),))} {cumulative:g}")
            lines.append(f"{name}_sum{_labels(labels)} {h[-1]:.6f}")
            lines.append(f"{name}_count{_labels(labels)} {cumulative:g}")
        return "\n".join(lines) + "\n"


def _labels(labels: tuple[tuple[str, str], ...]) -> str:
    if not labels:
        return ""
    inner = ",".join(
        f'{k}="{str(v).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"' for k, v in labels
    )
    return "{" + inner + "}"


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
