"""Per-terminal call rate limit (REL-F11): one token bucket per authenticated terminal.

A bucket holds up to ``burst`` tokens and refills at ``rate`` tokens per second; each call takes
one. A call finding the bucket empty is refused with ``NODE_RATE_LIMITED`` (gRPC
RESOURCE_EXHAUSTED, HTTP 429) and the delay after which one token is back. Buckets are per node
process (N processes behind a balancer allow N x rate); only signed calls from registered
terminals reach a bucket, so their number is bounded by the registry.
"""

from __future__ import annotations

import threading
import time


class TokenBuckets:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate = float(rate)
        self.burst = float(max(burst, 1))
        self._buckets: dict[str, list[float]] = {}  # terminal -> [tokens, last refill (monotonic)]
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, key: str, now: float | None = None) -> float:
        """Take one token for ``key``: 0.0 when granted, else seconds until one is available."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                self._buckets[key] = [self.burst - 1.0, now]
                return 0.0
            tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
            bucket[1] = now
            if tokens >= 1.0:
                bucket[0] = tokens - 1.0
                return 0.0
            bucket[0] = tokens
            return (1.0 - tokens) / self.rate


__all__ = ["TokenBuckets"]
