"""A vendor whose ReportStream switches to "batch mode" under load: once eight or more records
are waiting, it acknowledges each at once from memory and writes the batch a second later (in
batches of 50, on a timer). At the end of a stream it waits for its batches, so a stream that
ends normally loses nothing — but every record acknowledged in batch mode was acknowledged
before it was stored: a crash in that second loses acknowledged reports. A stream of one record
at a time, and unary Report, are stored before the answer."""

from __future__ import annotations

import queue
import secrets
import threading
import time
from collections.abc import Iterator
from typing import Any

from reference_node.auth import H_TERMINAL
from reference_node.proto.ehc.node.v1 import usage_pb2

from ._proxy import Refusal, VendorNode

_REPORT = "/ehc.node.v1.UsageService/Report"
LOAD = 8
BATCH = 50
FLUSH_DELAY_S = 1.0


class EarlyAckUnderLoad(VendorNode):
    mutant_name = "rt3-early-ack-under-load"
    description = "under load, streamed usage reports acknowledged from memory and stored ~1 s later"
    defect_class = "usage reports acknowledged before they are durable"
    catches = ("NODE-USAGE-007",)

    def on_stream(self, method: str, metadata: list, requests: Iterator[bytes]) -> Iterator[bytes]:
        creds = self.caller(dict(metadata).get(H_TERMINAL, ""))
        if not method.endswith("/ReportStream") or creds is None:
            return self.forward_stream(method, metadata, requests)
        return self._batched(method, creds, requests)

    def _batched(self, method: str, creds: Any, requests: Iterator[bytes]) -> Iterator[bytes]:
        inbox: queue.Queue = queue.Queue()
        batches: queue.Queue = queue.Queue()  # (due time, records) for the one writer thread
        end = object()

        def read() -> None:
            try:
                for raw in requests:
                    inbox.put(raw)
            finally:
                inbox.put(end)

        def write() -> None:  # one writer, batch after batch, each a second after it was queued
            while (item := batches.get()) is not end:
                due, batch = item
                time.sleep(max(0.0, due - time.monotonic()))
                for _ in self.forward_stream(method, [], iter(batch), sign_as=creds):
                    pass

        threading.Thread(target=read, daemon=True).start()
        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        batch: list[bytes] = []
        try:
            while (raw := inbox.get()) is not end:
                record = usage_pb2.UsageRecord.FromString(raw)
                if inbox.qsize() >= LOAD or batch:
                    batch.append(raw)
                    if len(batch) >= BATCH:
                        batches.put((time.monotonic() + FLUSH_DELAY_S, batch))
                        batch = []
                    yield usage_pb2.ReportAck(
                        request_id=record.request_id, accepted=True, usage_id=secrets.token_hex(16)
                    ).SerializeToString()
                    continue
                try:
                    ack = self.call_as(creds, _REPORT, record)
                except Refusal as refusal:
                    ack = usage_pb2.ReportAck(request_id=record.request_id, error=refusal.error_info())
                yield ack.SerializeToString()
            if batch:
                batches.put((time.monotonic() + FLUSH_DELAY_S, batch))
        finally:
            batches.put(end)
            writer.join()  # a stream that ends normally loses nothing: only a crash would


MUTANT = EarlyAckUnderLoad
