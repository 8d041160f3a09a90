"""Bounds on gRPC streams (REL-F16): a stream holds one of the server's worker threads for as long
as it is open, idle or not. Without bounds, one terminal holding 16 idle signed ``ReportStream``
calls took every worker and every call of every terminal, the admin's included, ended in
DEADLINE_EXCEEDED.

* ``max_streams`` (default: half the workers) open streams in all, so the other half of the workers
  always serves unary calls;
* ``max_streams_per_terminal`` (default 4) per authenticated terminal, so one terminal cannot take
  the streams' share from the others;
* a watchdog ends a stream with no message in either direction for ``stream_idle_timeout_s`` and
  any stream open longer than ``stream_max_lifetime_s`` (gRPC DEADLINE_EXCEEDED, details
  ``NODE_STREAM_TIMEOUT``), which frees its worker.

A refused stream gets RESOURCE_EXHAUSTED + ``NODE_STREAMS_EXHAUSTED`` at once (the slot is taken
after the signature check: an unsigned caller holds nothing).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc

from ehc.errors import EhcError
from reference_node.errors import STREAM_TIMEOUT, STREAMS_EXHAUSTED
from reference_node.observability import log

LOG = logging.getLogger("reference_node")


@dataclass(slots=True)
class StreamSlot:
    terminal_id: str
    context: Any  # grpc.ServicerContext
    started: float
    last: float
    ended_by_node: str = ""  # why the watchdog ended it ("idle" / "lifetime"), "" while open
    _id: int = field(default=0)

    def touch(self) -> None:
        self.last = time.monotonic()

    def requests(self, source: Iterator[Any]) -> Iterator[Any]:
        """The request iterator, noting each message as activity."""
        for message in source:
            self.last = time.monotonic()
            yield message


class StreamGuard:
    def __init__(self, total: int, per_terminal: int, idle_s: float, lifetime_s: float) -> None:
        self.total = max(1, total)
        self.per_terminal = max(1, per_terminal)
        self.idle_s = idle_s
        self.lifetime_s = lifetime_s
        self._lock = threading.Lock()
        self._open: dict[int, StreamSlot] = {}
        self._by_terminal: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._stop = threading.Event()
        self.refused = 0
        self.ended = 0
        self._thread = threading.Thread(target=self._watch, name="stream-watchdog", daemon=True)
        self._thread.start()

    def acquire(self, terminal_id: str, context: Any) -> StreamSlot:
        with self._lock:
            mine = self._by_terminal.get(terminal_id, 0)
            if mine >= self.per_terminal or len(self._open) >= self.total:
                self.refused += 1
                which = (
                    f"{self.per_terminal} per terminal"
                    if mine >= self.per_terminal
                    else f"{self.total} on this node"
                )
                raise EhcError(
                    STREAMS_EXHAUSTED, f"too many open streams ({which}); close one or retry later"
                )
            now = time.monotonic()
            slot = StreamSlot(terminal_id, context, now, now, _id=next(self._ids))
            self._open[slot._id] = slot
            self._by_terminal[terminal_id] = mine + 1
        return slot

    def release(self, slot: StreamSlot) -> None:
        with self._lock:
            if self._open.pop(slot._id, None) is None:
                return
            left = self._by_terminal.get(slot.terminal_id, 1) - 1
            if left:
                self._by_terminal[slot.terminal_id] = left
            else:
                self._by_terminal.pop(slot.terminal_id, None)

    def open_streams(self) -> int:
        return len(self._open)

    def _watch(self) -> None:
        interval = max(0.05, min(1.0, self.idle_s / 4))
        while not self._stop.wait(interval):
            now = time.monotonic()
            with self._lock:
                slots = list(self._open.values())
            for slot in slots:
                if slot.ended_by_node:
                    continue
                if now - slot.started > self.lifetime_s:
                    self._end(slot, "lifetime", f"stream open for more than {self.lifetime_s:g} s")
                elif now - slot.last > self.idle_s:
                    self._end(slot, "idle", f"no message on the stream for {self.idle_s:g} s")

    def _end(self, slot: StreamSlot, why: str, message: str) -> None:
        """Cancel the call from this thread: the handler blocked reading the next request wakes up
        with an error and returns its worker to the pool."""
        slot.ended_by_node = why
        self.ended += 1
        err = EhcError(STREAM_TIMEOUT, message)
        details = f"{err.code.name} ({err.code.number}): {err.message}"
        call = getattr(getattr(slot.context, "_rpc_event", None), "call", None)
        try:
            if call is not None:  # grpcio's server call: cancel with a status the client can read
                call.cancel(grpc.StatusCode.DEADLINE_EXCEEDED.value[0], details)
            else:
                slot.context.cancel()
        except Exception as exc:  # noqa: BLE001 - the call may have ended meanwhile
            log(LOG, logging.DEBUG, "stream cancel failed", error=type(exc).__name__)
        log(LOG, logging.INFO, "stream ended by the node", reason=why, terminal=slot.terminal_id)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


__all__ = ["StreamGuard", "StreamSlot"]
