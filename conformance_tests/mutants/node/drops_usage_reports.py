"""A vendor that acknowledges usage reports from a write-behind buffer and loses about one in a
hundred when the buffer is flushed under load: the terminal got "accepted", the record is gone."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from typing import Any

from reference_node.proto.ehc.node.v1 import usage_pb2

from ._proxy import Call, VendorNode

LOSS_EVERY = 100


class DropsUsageReports(VendorNode):
    mutant_name = "drops-usage-reports"
    description = "acknowledges every usage report but stores only 99 in 100"
    defect_class = "usage reports lost after acknowledgement"
    catches = ("NODE-USAGE-007",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen = random.randrange(LOSS_EVERY)  # where in the cycle the flush loses one

    def _lost(self) -> bool:
        with self.lock:
            self.seen += 1
            return self.seen % LOSS_EVERY == 0

    def _ack(self, request_id: str) -> usage_pb2.ReportAck:
        return usage_pb2.ReportAck(request_id=request_id, accepted=True, usage_id=secrets.token_hex(16))

    def on_request(self, call: Call) -> None:
        if call.name == "Report" and self._lost():
            call.answer = self._ack(call.request.request_id)

    def on_stream(self, method: str, metadata: list, requests: Iterator[bytes]) -> Iterator[bytes]:
        if not method.endswith("/ReportStream"):
            return self.forward_stream(method, metadata, requests)

        def decide(raw: bytes) -> bytes | None:
            if not self._lost():
                return None
            return self._ack(usage_pb2.UsageRecord.FromString(raw).request_id).SerializeToString()

        return self.lockstep_stream(method, metadata, requests, decide)


MUTANT = DropsUsageReports
