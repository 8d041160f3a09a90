"""Connection bounds of the REST port (REL-F17).

Before: no header-read timeout and no connection cap. ~1,100 connections that sent nothing held a
file descriptor each until the process ran out; from then on every accept failed (REST and gRPC
alike: one descriptor table), gRPC and REST timed out for everyone, and asyncio logged a traceback
per failed accept (48 MB of log in 6 s).

Now:

* at most ``cap`` connections are open on the REST port: ``http_max_connections`` and never more
  than the descriptor limit minus a reserve (a quarter of the limit, at least 128) kept for gRPC, the
  store and the logs; a connection past the cap is closed as soon as it is accepted;
* a connection must deliver complete request headers within ``http_header_timeout_s`` of its
  accept, or of the end of its previous answer (keep-alive), else it is closed (slowloris);
* the body must arrive within ``http_body_timeout_s`` of the headers (``BodyLimit`` answers 408);
* the condition is logged once per interval with counts, never per connection; a failed accept
  (descriptors exhausted anyway, e.g. by another component) is one line per interval, no traceback;
* nothing to undo afterwards: closed connections free their slots, the port serves again at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import socket
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from reference_node.observability import Throttled

LOG = logging.getLogger("reference_node")


def descriptor_cap(configured: int) -> tuple[int, int]:
    """(connection cap, descriptor limit): the configured cap, lowered so that a quarter of the
    descriptor limit (at least 128) stays free for everything else once the REST port is full."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return configured, -1
    try:
        in_use = len(os.listdir("/proc/self/fd"))
    except OSError:
        in_use = 64
    reserve = max(128, soft // 4)  # 16 gRPC workers alone open ~3 SQLite descriptors each
    return max(8, min(configured, soft - in_use - reserve)), soft


def raise_descriptor_limit() -> None:
    """Use the hard RLIMIT_NOFILE (the soft one is often 1,024 while the hard one is far higher)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 65536
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass


def no_delay(transport: Any) -> None:
    """TCP_NODELAY on an accepted connection. asyncio sets it only when the listening socket was
    made with IPPROTO_TCP; the gateway's is a plain SOCK_STREAM, so without this every answer
    waited ~40 ms for the client's delayed ACK (Nagle): /healthz 44 ms, now ~1 ms (load bench)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def guarded_protocol(cap: int, header_timeout_s: float, metrics: Any = None) -> type[H11Protocol]:
    """An h11 protocol class for uvicorn that enforces the cap and the header timeout."""
    over_cap = Throttled("REST connection limit reached: connections closed at accept")
    slow = Throttled("REST connections closed: request headers not received in time")

    class GuardedH11(H11Protocol):
        refused = over_cap
        timed_out = slow
        connection_cap = cap

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            self._refused = len(self.connections) >= cap
            if self._refused:
                self.transport = transport
                transport.abort()  # frees the descriptor now; no answer (nothing was read)
                over_cap.hit(cap=cap)
                if metrics is not None:
                    metrics.inc("ehc_node_http_connections_refused_total")
                return
            self._header_timer: asyncio.TimerHandle | None = None
            no_delay(transport)
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._refused:
                return
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._header_timer = self.loop.call_later(header_timeout_s, self._headers_late)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_late(self) -> None:
            self._header_timer = None
            if self.cycle is not None and not self.cycle.response_complete:
                return  # headers arrived; the body has its own bound (BodyLimit)
            slow.hit(timeout_s=header_timeout_s)
            if metrics is not None:
                metrics.inc("ehc_node_http_connections_timed_out_total")
            self.transport.abort()

        def handle_events(self) -> None:
            super().handle_events()
            if self.cycle is not None and not self.cycle.response_complete:
                self._disarm()  # a request is in progress: its headers are complete

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()  # the next request's headers are bounded too (keep-alive slowloris)

    return GuardedH11


_ACCEPT_ERRORS = Throttled("REST accept failed (file descriptors exhausted?)")


def quiet_accept_errors(loop: asyncio.AbstractEventLoop) -> None:
    """asyncio logs a failed accept with a traceback each time; log one line per interval instead
    (asyncio itself pauses accepting for a second and retries: the port recovers on its own)."""
    default = loop.get_exception_handler()

    def handler(lp: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, OSError) and "accept" in str(context.get("message", "")):
            _ACCEPT_ERRORS.hit(error=type(exc).__name__, errno=exc.errno)
            return
        if default is not None:
            default(lp, context)
        else:
            lp.default_exception_handler(context)

    loop.set_exception_handler(handler)


__all__ = ["descriptor_cap", "guarded_protocol", "quiet_accept_errors", "raise_descriptor_limit", "Throttled"]
