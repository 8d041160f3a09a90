"""Every request of a run, kept exactly: per endpoint and per second, mergeable across workers.

Three outcomes, so an SLO can tell a broken node from a correct refusal:

* ``ok`` — answered as the actor expected (a person for a valid code, a registration done);
* ``refused`` — refused *as expected* (the actor presented an invalid, expired or unknown code
  and the node said no): correct behaviour, not an error;
* ``error`` — transport failure, an unexpected refusal, or an invalid code *accepted*.

Latency histograms hold answered requests (``ok`` + ``refused``); errors are counted, since a
refused connection's 0.2 ms says nothing about the node's speed.

Totals per endpoint keep the full precision (0.1 %). The time series is kept per *bucket* of
``bucket_s`` seconds with 0.5 % histograms, and the bucket widens with the run's duration
(:func:`bucket_for`) so a 24-hour run holds at most ~600 buckets instead of 86,400 seconds.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from typing import Any

from load_tests.histogram import DEFAULT_ALPHA, LatencyHistogram

__all__ = ["Recorder", "OUTCOMES", "EndpointStats"]

OUTCOMES = ("ok", "refused", "error")
_MAX_ERROR_KINDS = 50  # distinct error messages kept per run (the rest are counted as "other")
BUCKET_ALPHA = 0.005  # precision of the per-bucket (time series) histograms
MAX_BUCKETS = 600  # time-series points per run at most


def bucket_for(duration_s: float) -> int:
    """Width in seconds of a time-series bucket: 1 s up to 10 minutes, then wider."""
    return max(1, math.ceil(duration_s / MAX_BUCKETS))


class EndpointStats:
    """Counts by outcome and a latency histogram for one endpoint (or one endpoint-second)."""

    __slots__ = ("ok", "refused", "error", "hist", "bytes")

    def __init__(self, alpha: float = DEFAULT_ALPHA) -> None:
        self.ok = 0
        self.refused = 0
        self.error = 0
        self.bytes = 0
        self.hist = LatencyHistogram(alpha=alpha)

    @property
    def total(self) -> int:
        return self.ok + self.refused + self.error

    def add(self, outcome: str, ms: float, length: int) -> None:
        if outcome == "error":
            self.error += 1
            return
        if outcome == "refused":
            self.refused += 1
        else:
            self.ok += 1
        self.bytes += length
        self.hist.record(max(ms, 0.0))

    def merge(self, other: EndpointStats) -> None:
        self.ok += other.ok
        self.refused += other.refused
        self.error += other.error
        self.bytes += other.bytes
        self.hist.merge(other.hist)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "refused": self.refused,
            "error": self.error,
            "bytes": self.bytes,
            "hist": self.hist.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EndpointStats:
        s = cls()
        s.ok, s.refused, s.error, s.bytes = (
            int(d["ok"]),
            int(d["refused"]),
            int(d["error"]),
            int(d.get("bytes", 0)),
        )
        s.hist = LatencyHistogram.from_dict(d["hist"])
        return s


class Recorder:
    """Per-endpoint totals, per-second per-endpoint stats and error kinds."""

    def __init__(self, bucket_s: int = 1) -> None:
        self.bucket_s = bucket_s
        self.endpoints: dict[str, EndpointStats] = {}
        self.seconds: dict[int, dict[str, EndpointStats]] = {}
        self.errors: Counter[str] = Counter()
        self.refusals: Counter[str] = Counter()  # "name: NODE_ERROR_CODE" of expected refusals

    @property
    def count(self) -> int:
        return sum(s.total for s in self.endpoints.values())

    def add(
        self,
        name: str,
        outcome: str,
        ms: float,
        length: int = 0,
        when: float | None = None,
        error: str | None = None,
        code: str = "",
    ) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        ep = self.endpoints.get(name)
        if ep is None:
            ep = self.endpoints[name] = EndpointStats()
        ep.add(outcome, ms, length)
        t = when if when is not None else time.time()
        bucket = int(t // self.bucket_s) * self.bucket_s
        per = self.seconds.setdefault(bucket, {})
        eps = per.get(name)
        if eps is None:
            eps = per[name] = EndpointStats(BUCKET_ALPHA)
        eps.add(outcome, ms, length)
        if outcome == "refused":
            self.refusals[f"{name}: {code or 'unspecified'}"[:120]] += 1
        if outcome == "error":
            key = f"{name}: {error or 'error'}"[:200]
            if key in self.errors or len(self.errors) < _MAX_ERROR_KINDS:
                self.errors[key] += 1
            else:
                self.errors[f"{name}: other"] += 1

    def merge(self, other: Recorder) -> None:
        if other.bucket_s != self.bucket_s:
            raise ValueError("cannot merge recorders with different time buckets")
        for name, st in other.endpoints.items():
            self.endpoints.setdefault(name, EndpointStats()).merge(st)
        for sec, per in other.seconds.items():
            mine = self.seconds.setdefault(sec, {})
            for name, st in per.items():
                mine.setdefault(name, EndpointStats(BUCKET_ALPHA)).merge(st)
        self.errors.update(other.errors)
        self.refusals.update(other.refusals)

    def to_dict(self) -> dict[str, Any]:
        return {
            "bucket_s": self.bucket_s,
            "endpoints": {n: s.to_dict() for n, s in self.endpoints.items()},
            "seconds": {
                str(sec): {n: s.to_dict() for n, s in per.items()}
                for sec, per in sorted(self.seconds.items())
            },
            "errors": dict(self.errors),
            "refusals": dict(self.refusals),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Recorder:
        r = cls(int(d.get("bucket_s", 1)))
        r.endpoints = {n: EndpointStats.from_dict(s) for n, s in d["endpoints"].items()}
        r.seconds = {
            int(sec): {n: EndpointStats.from_dict(s) for n, s in per.items()}
            for sec, per in d["seconds"].items()
        }
        r.errors = Counter(d.get("errors", {}))
        r.refusals = Counter(d.get("refusals", {}))
        return r

    def drain(self) -> dict[str, Any]:
        """Serialise what was recorded since the last drain and start afresh (a worker's report)."""
        out = self.to_dict()
        self.endpoints, self.seconds, self.errors, self.refusals = {}, {}, Counter(), Counter()
        return out
