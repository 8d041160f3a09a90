"""The record and fault core of the kit's proxies between a DUT and the node.

Both transports — gRPC (``faultproxy.FaultProxy``) and the Tencent HTTP envelope
(``envelopeproxy.EnvelopeProxy``) — keep the same evidence and take the same faults; only the
wire differs, and stays in each transport module:

* the **transcript**: one :class:`CallRecord` per DUT call, in arrival order (``seq`` from 1), named
  after the node method it reaches, with its outcome and the status the DUT received; suites read
  it through ``calls``, ``mark()`` and ``since(mark, name)``;
* **faults** per method suffix, for the next N calls: ``fail_next`` (refused before the node: nothing
  happened) and ``drop_reply_next`` (the node committed, the reply is lost).

A call is recorded and its faults are taken in one step under one lock, so two calls arriving at
once never both take a single injected fault.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

FORWARDED = "forwarded"
REFUSED = "refused"  # never reached the node
REPLY_DROPPED = "reply-dropped"  # the node did it, the DUT never got the reply


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


@dataclass
class CallRecord:
    """One call the DUT made, as a proxy saw it (transport-specific fields in subclasses)."""

    seq: int
    method: str  # the node method it reaches, e.g. /ehc.node.v1.UsageService/Report
    outcome: str  # FORWARDED | REFUSED | REPLY_DROPPED
    status: str = "OK"  # what the DUT received: OK, or the transport's name of the failure
    at: str = field(default_factory=_now)

    @property
    def name(self) -> str:
        return self.method.rsplit("/", 1)[-1]

    def summary(self) -> dict[str, Any]:
        """Transcript form (the transcript masks identifiers)."""
        out: dict[str, Any] = {"seq": self.seq, "method": self.name, "outcome": self.outcome}
        if self.status != "OK":
            out["status"] = self.status
        out.update(self.details())
        return out

    def details(self) -> dict[str, Any]:
        """What the transport adds to the summary: the request's non-empty fields."""
        return {}

    def refused(self, status: str) -> None:
        self.outcome, self.status = REFUSED, status

    def reply_dropped(self, status: str) -> None:
        self.outcome, self.status = REPLY_DROPPED, status


CallT = TypeVar("CallT", bound=CallRecord)


def _take(table: dict[str, int], method: str) -> bool:
    for suffix, left in table.items():
        if method.endswith(suffix) and left > 0:
            table[suffix] = left - 1
            return True
    return False


class CallRecorder(Generic[CallT]):
    """Transcript and fault table of one proxy (a base class of each transport's proxy)."""

    def __init__(self) -> None:
        self._fail: dict[str, int] = {}
        self._drop: dict[str, int] = {}
        self._lock = threading.Lock()
        self.transcript: list[CallT] = []

    # ------------------------------------------------------------------ faults
    def fail_next(self, method_suffix: str, times: int = 1) -> None:
        """Refuse the next ``times`` calls of methods ending in ``method_suffix`` before the node."""
        with self._lock:
            self._fail[method_suffix] = times

    def drop_reply_next(self, method_suffix: str, times: int = 1) -> None:
        """Forward the next ``times`` such calls, then lose the node's reply."""
        with self._lock:
            self._drop[method_suffix] = times

    # ------------------------------------------------------------------ evidence
    @property
    def calls(self) -> list[tuple[str, str]]:
        """(method, outcome) of every call so far."""
        return [(c.method, c.outcome) for c in self.transcript]

    def mark(self) -> int:
        """A position in the transcript: ``since(mark)`` gives the calls made after it."""
        with self._lock:
            return len(self.transcript)

    def since(self, mark: int, name: str | None = None) -> list[CallT]:
        with self._lock:
            calls = self.transcript[mark:]
        return [c for c in calls if name is None or c.name == name]

    # ------------------------------------------------------------------ for the transports
    def record(self, make: Callable[[int], CallT]) -> tuple[CallT, bool, bool]:
        """Append the call ``make(seq)`` (built under the lock) and take its method's faults:
        (call, refuse it, drop its reply)."""
        with self._lock:
            call = make(len(self.transcript) + 1)
            self.transcript.append(call)
            refuse = _take(self._fail, call.method)
            drop = not refuse and _take(self._drop, call.method)
        return call, refuse, drop


__all__ = ["CallRecord", "CallRecorder", "FORWARDED", "REFUSED", "REPLY_DROPPED"]
