"""Latency histogram with a bounded relative error: every sample counts, percentiles are not rounded.

Locust stores response times in coarse buckets (rounded to 10 ms above 100 ms, 100 ms above 1 s),
so its p99 can exceed the maximum. This structure keeps every sample in a logarithmic bucket of
relative width ``2 * alpha / (1 - alpha)`` (the DDSketch mapping): any reported quantile is within
``alpha`` (default 0.1 %) of the true order statistic, the same quantile definition as
``numpy.percentile`` (linear interpolation between closest ranks). It is a plain dict of counts,
so histograms from many Locust workers merge exactly by adding counts.

Values at or below ``min_value`` (default 1 µs when recording milliseconds) share one bucket and
are reported as ``min_value`` clamped to the observed range: their error is absolute (≤ 1 µs),
not relative. Exact count, sum, minimum and maximum are kept beside the buckets.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

__all__ = ["LatencyHistogram", "DEFAULT_ALPHA", "DEFAULT_MIN_VALUE"]

DEFAULT_ALPHA = 0.001  # 0.1 % relative error on every quantile
DEFAULT_MIN_VALUE = 0.001  # 1 µs, in milliseconds


class LatencyHistogram:
    """Mergeable log-bucketed histogram of non-negative values (milliseconds by convention)."""

    __slots__ = (
        "alpha",
        "min_value",
        "_gamma",
        "_log_gamma",
        "bins",
        "low_count",
        "count",
        "total",
        "min",
        "max",
    )

    def __init__(self, alpha: float = DEFAULT_ALPHA, min_value: float = DEFAULT_MIN_VALUE) -> None:
        if not 0 < alpha < 1:
            raise ValueError("alpha must be in (0, 1)")
        if min_value <= 0:
            raise ValueError("min_value must be positive")
        self.alpha = alpha
        self.min_value = min_value
        self._gamma = (1 + alpha) / (1 - alpha)
        self._log_gamma = math.log(self._gamma)
        self.bins: dict[int, int] = {}
        self.low_count = 0  # samples <= min_value
        self.count = 0
        self.total = 0.0
        self.min = math.inf
        self.max = -math.inf

    # --- recording ---------------------------------------------------------------------------
    def record(self, value: float, times: int = 1) -> None:
        """Add ``times`` samples of ``value``. Negative values are a caller bug."""
        if value < 0 or value != value:
            raise ValueError(f"cannot record {value!r}")
        if value <= self.min_value:
            self.low_count += times
        else:
            key = math.ceil(math.log(value) / self._log_gamma)
            self.bins[key] = self.bins.get(key, 0) + times
        self.count += times
        self.total += value * times
        if value < self.min:
            self.min = value
        if value > self.max:
            self.max = value

    def record_many(self, values: Iterable[float]) -> None:
        for v in values:
            self.record(v)

    def merge(self, other: LatencyHistogram) -> LatencyHistogram:
        """Add another histogram's samples into this one (same alpha and min_value required)."""
        if (other.alpha, other.min_value) != (self.alpha, self.min_value):
            raise ValueError("cannot merge histograms with different precision")
        for k, c in other.bins.items():
            self.bins[k] = self.bins.get(k, 0) + c
        self.low_count += other.low_count
        self.count += other.count
        self.total += other.total
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)
        return self

    # --- reading -----------------------------------------------------------------------------
    def _bucket_value(self, key: int) -> float:
        # Midpoint (in the relative sense) of (gamma^(k-1), gamma^k]: within alpha of any value inside.
        return 2 * self._gamma**key / (self._gamma + 1)

    def _sorted_buckets(self) -> list[tuple[float, int]]:
        out: list[tuple[float, int]] = []
        if self.low_count:
            out.append((self.min_value, self.low_count))
        out.extend((self._bucket_value(k), self.bins[k]) for k in sorted(self.bins))
        return out

    def _clamp(self, v: float) -> float:
        return min(max(v, self.min), self.max)

    def quantiles(self, qs: Iterable[float]) -> list[float]:
        """Quantiles (0 ≤ q ≤ 1) by numpy's default 'linear' method; NaN for an empty histogram."""
        qs = list(qs)
        if self.count == 0:
            return [math.nan for _ in qs]
        buckets = self._sorted_buckets()
        # cumulative upper rank (exclusive) of each bucket
        cum: list[int] = []
        running = 0
        for _, c in buckets:
            running += c
            cum.append(running)

        def order_stat(rank: int) -> float:  # value of the rank-th smallest sample, 0-based
            if rank == 0:
                return self.min
            if rank == self.count - 1:
                return self.max
            lo, hi = 0, len(cum) - 1
            while lo < hi:
                mid = (lo + hi) // 2
                if cum[mid] > rank:
                    hi = mid
                else:
                    lo = mid + 1
            return self._clamp(buckets[lo][0])

        out = []
        for q in qs:
            if not 0 <= q <= 1:
                raise ValueError("quantile must be in [0, 1]")
            pos = q * (self.count - 1)
            below = math.floor(pos)
            frac = pos - below
            v = order_stat(below)
            if frac > 0:
                v = v + (order_stat(below + 1) - v) * frac
            out.append(v)
        return out

    def quantile(self, q: float) -> float:
        return self.quantiles([q])[0]

    def percentile(self, p: float) -> float:
        """Percentile 0..100 (numpy.percentile convention)."""
        return self.quantile(p / 100.0)

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else math.nan

    def cumulative(self) -> list[tuple[float, int]]:
        """(bucket value, count) in ascending order — for plotting a latency distribution."""
        return self._sorted_buckets()

    # --- wire / disk form ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "min_value": self.min_value,
            "count": self.count,
            "sum": self.total,
            "min": self.min if self.count else None,
            "max": self.max if self.count else None,
            "low_count": self.low_count,
            "bins": {str(k): c for k, c in self.bins.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LatencyHistogram:
        h = cls(alpha=float(data["alpha"]), min_value=float(data["min_value"]))
        h.bins = {int(k): int(c) for k, c in data["bins"].items()}
        h.low_count = int(data["low_count"])
        h.count = int(data["count"])
        h.total = float(data["sum"])
        if h.count != h.low_count + sum(h.bins.values()):
            raise ValueError("histogram counts do not add up")
        if h.count:
            h.min = float(data["min"])
            h.max = float(data["max"])
        return h
