"""The background forwarder: delivers the outbox to the city node exactly once, in order.

* Order: one thread sends the pending rows in ``seq`` order and never skips past a row it could not
  deliver for a transient reason, so a card's reports reach the node in the order the front-end
  acknowledged them.
* Exactly once: each row is sent with the HIS's request id, byte for byte as stored; the node
  deduplicates by (signing terminal, request id), so a row re-sent after a lost ack or a crash of
  the front-end between the node's ack and the local ``delivered`` mark is answered
  ``duplicate`` and stored once.
* Retry: the node unreachable, overloaded or failing (UNAVAILABLE, DEADLINE_EXCEEDED,
  RESOURCE_EXHAUSTED, UNAUTHENTICATED, INTERNAL, ...) -> retry the same row after an exponential
  backoff with jitter (0.2 s doubling to ``max_backoff_s``). A refusal of the record itself
  (INVALID_ARGUMENT, ALREADY_EXISTS = another record under the same id) will not change by
  retrying: the row is marked REJECTED with the node's code, logged, and the queue moves on.
"""

from __future__ import annotations

import logging
import random
import threading
import time

import grpc

from reference_node.client import NodeClient, error_of
from reference_node.frontend.store import DELIVERED, REJECTED, FrontendStore
from reference_node.observability import log
from reference_node.proto.ehc.node.v1 import usage_pb2 as up

LOG = logging.getLogger("reference_node.frontend")
PERMANENT = (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.ALREADY_EXISTS)


class Forwarder:
    def __init__(
        self,
        store: FrontendStore,
        upstream: NodeClient,
        *,
        call_timeout_s: float = 5.0,
        max_backoff_s: float = 5.0,
        batch: int = 200,
    ) -> None:
        self.store = store
        self.upstream = upstream
        self.call_timeout_s = call_timeout_s
        self.max_backoff_s = max_backoff_s
        self.batch = batch
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="frontend-forwarder", daemon=True)
        self.delivered = self.duplicates = self.rejected = self.retries = 0

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
            rows = self.store.pending(self.batch)
            if not rows:
                self._wake.wait(0.5)
                self._wake.clear()
                continue
            for row in rows:
                if self._stop.is_set():
                    return
                if self._deliver(row.seq, row.request_id, row.record):
                    failures = 0
                    continue
                failures += 1
                self.retries += 1
                delay = min(self.max_backoff_s, 0.2 * 2 ** min(failures - 1, 10))
                self._stop.wait(delay * random.uniform(0.8, 1.2))
                break  # the same row first next time: order is kept

    def _deliver(self, seq: int, request_id: str, record: bytes) -> bool:
        """True when the row is settled (delivered, duplicate or rejected); False: retry later."""
        try:
            ack = self.upstream.usage.Report(up.UsageRecord.FromString(record), timeout=self.call_timeout_s)
        except grpc.RpcError as exc:
            code = exc.code() if hasattr(exc, "code") else grpc.StatusCode.UNKNOWN
            if code in PERMANENT:
                err = error_of(exc)
                self.store.mark(seq, REJECTED, error=err.code.name)
                self.rejected += 1
                log(LOG, logging.ERROR, "usage report refused by the node", seq=seq, code=err.code.name)
                return True
            return False
        except Exception as exc:  # noqa: BLE001 - a bug or a bad row must not kill the thread silently
            log(LOG, logging.ERROR, "forwarding failed", seq=seq, error=type(exc).__name__)
            time.sleep(0.5)
            return False
        self.store.mark(seq, DELIVERED, usage_id=ack.usage_id)
        if ack.duplicate:
            self.duplicates += 1
        else:
            self.delivered += 1
        return True
