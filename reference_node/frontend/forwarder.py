"""The background forwarder: delivers the outbox to the city node exactly once, in order.

* Order: one thread sends the pending rows in ``seq`` order and never skips past a row it could not
  deliver for a transient reason, so a card's reports reach the node in the order the front-end
  acknowledged them.
* Exactly once: each row is sent with the HIS's request id, byte for byte as stored; the node
  deduplicates by (signing terminal, request id), so a row re-sent after a lost ack or a crash of
  the front-end between the node's ack and the local ``delivered`` mark is answered
  ``duplicate`` and stored once.
* Batches: up to ``batch`` rows over one ``ReportStream`` call; the node acks each after its
  commit, in order. One call per batch: the node's per-terminal call-rate limit counts calls, and
  every call of the hospital's terminals goes out under the same credential.
* Retry: the node unreachable, overloaded or failing (UNAVAILABLE, DEADLINE_EXCEEDED,
  RESOURCE_EXHAUSTED, UNAUTHENTICATED, INTERNAL, a store error in an ack, ...) -> retry from the
  first unsettled row after an exponential backoff with jitter (0.2 s doubling to
  ``max_backoff_s``). A refusal of the record itself (INVALID_ARGUMENT, ALREADY_EXISTS = another
  record under the same id, NOT_FOUND = an EHCID the node never issued) will not change by
  retrying: the row is marked REJECTED with the node's code, logged, kept (``ehc node frontend
  --status`` lists it) and the queue moves on.
* On behalf of (H7): a batch holds the rows of one local terminal (rows of the next terminal wait
  for the next call, order kept) and names it upstream (``x-ehc-on-behalf-of``): the node applies
  its terminal rule (检测备案) to it. A refusal of that terminal (not certified, revoked: the
  node's error names the header) will not change by retrying either: its rows are REJECTED.
* Retention: settled rows and relay-log entries older than ``retention_s`` are deleted (checked
  every 10 minutes); a pending row is never deleted.
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
import time

import grpc

from reference_node.auth import H_ON_BEHALF_OF
from reference_node.client import NodeClient, error_of
from reference_node.frontend.store import DELIVERED, REJECTED, FrontendStore, OutboxRow
from reference_node.observability import log
from reference_node.proto.ehc.node.v1 import usage_pb2 as up

LOG = logging.getLogger("reference_node.frontend")
# the record itself refused: invalid, its id taken by another record, its card unknown to the node
PERMANENT = (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.NOT_FOUND)


class Forwarder:
    def __init__(
        self,
        store: FrontendStore,
        upstream: NodeClient,
        *,
        call_timeout_s: float = 5.0,
        max_backoff_s: float = 5.0,
        batch: int = 200,
        retention_s: float = 30 * 86400,
    ) -> None:
        self.store = store
        self.upstream = upstream
        self.call_timeout_s = call_timeout_s
        self.max_backoff_s = max_backoff_s
        self.batch = batch
        self.retention_s = retention_s
        self._pruned = 0.0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="frontend-forwarder", daemon=True)
        self.delivered = self.duplicates = self.rejected = self.retries = 0
        self.last_error = ""

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            if time.monotonic() - self._pruned > 600:
                self._pruned = time.monotonic()
                try:
                    self.store.prune(time.time() - self.retention_s)
                except Exception as exc:  # noqa: BLE001 - housekeeping must not stop forwarding
                    log(LOG, logging.ERROR, "pruning failed", error=type(exc).__name__)
            try:
                rows = self.store.pending(self.batch)
            except Exception as exc:  # noqa: BLE001 - the local store failing: retry, keep the thread
                log(LOG, logging.ERROR, "reading the outbox failed", error=type(exc).__name__)
                self._stop.wait(self.max_backoff_s)
                continue
            if not rows:
                self._wake.wait(0.5)
                self._wake.clear()
                continue
            # one terminal per call (H7: named upstream); the next terminal's rows come next round
            rows = _one_terminal(rows)
            try:
                settled = self._deliver(rows)
            except Exception as exc:  # noqa: BLE001 - e.g. the local store failing: keep the thread
                log(LOG, logging.ERROR, "forwarding failed", error=type(exc).__name__)
                settled = 0
            if settled == len(rows):
                failures = 0
                continue
            # rows[settled] could not be delivered now: wait, then start again from it (order kept)
            failures += 1
            self.retries += 1
            if failures == 1 or failures % 50 == 0:  # visible to the operator, not one line per retry
                log(LOG, logging.WARNING, "forwarding delayed", consecutive_failures=failures,
                    last_error=self.last_error, first_pending=rows[settled].seq)  # fmt: skip
            delay = min(self.max_backoff_s, 0.2 * 2 ** min(failures - 1, 10))
            self._stop.wait(delay * random.uniform(0.8, 1.2))

    def _deliver(self, rows: list[OutboxRow]) -> int:
        """Send ``rows`` over one ReportStream (the node acks each record after its commit, in
        order; one call, so a backlog does not eat the hospital credential's call-rate budget).
        Returns how many rows from the front are settled (delivered, duplicate or rejected)."""
        settled: list[tuple[int, int, str, str]] = []  # (seq, state, usage_id, error)
        terminal = rows[0].terminal_id
        try:
            requests = iter([up.UsageRecord.FromString(r.record) for r in rows])
            acks = self.upstream.usage.ReportStream(
                requests, timeout=self.call_timeout_s + 0.05 * len(rows), metadata=behalf(terminal)
            )
            for row, ack in zip(rows, acks, strict=False):
                if ack.request_id != row.request_id:
                    log(LOG, logging.ERROR, "ack out of order from the node", seq=row.seq)
                    break
                if ack.error.code:
                    if not _permanent(ack.error.code):
                        break  # e.g. the node's store failing: retry later
                    settled.append((row.seq, REJECTED, "", ack.error.code))
                    log(
                        LOG,
                        logging.ERROR,
                        "usage report refused by the node",
                        seq=row.seq,
                        code=ack.error.code,
                    )
                    continue
                settled.append((row.seq, DELIVERED, ack.usage_id, ""))
                if ack.duplicate:
                    self.duplicates += 1
                else:
                    self.delivered += 1
        except (
            grpc.RpcError
        ) as exc:  # node unreachable, overloaded, refused the call: what was acked is settled
            self.last_error = exc.code().name if hasattr(exc, "code") else "UNKNOWN"
            err = error_of(exc) if hasattr(exc, "code") else None
            if not settled and err is not None and err.detail.get("field") == H_ON_BEHALF_OF:
                # the node refuses the terminal itself (检测备案): kept as REJECTED, the queue goes on
                settled = [(r.seq, REJECTED, "", err.code.name) for r in rows]
                log(LOG, logging.ERROR, "usage reports of a terminal the node refuses", terminal=terminal,
                    code=err.code.name, reports=len(rows))  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - a bug or a bad row must not kill the thread silently
            log(LOG, logging.ERROR, "forwarding failed", error=type(exc).__name__)
        if settled:
            self.store.settle(settled)
            self.rejected += sum(1 for s in settled if s[1] == REJECTED)
        return len(settled)


def _permanent(code_name: str) -> bool:
    """A refusal of the record itself (validation, request id conflict): retrying cannot help."""
    from ehc.errors import lookup
    from reference_node.frontend.errors import status_of

    try:
        code = lookup(code_name)
    except KeyError:
        return False
    return status_of(code) in PERMANENT


def _one_terminal(rows: list[OutboxRow]) -> list[OutboxRow]:
    """The leading rows of the first row's terminal (order kept)."""
    first = rows[0].terminal_id
    return list(itertools.takewhile(lambda r: r.terminal_id == first, rows))


def behalf(terminal: str) -> tuple[tuple[str, str], ...]:
    """Call metadata naming the local terminal upstream (signed by the relay's interceptor)."""
    return ((H_ON_BEHALF_OF, terminal),) if terminal else ()
