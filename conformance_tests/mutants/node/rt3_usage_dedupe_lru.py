"""A vendor that files usage reports under ids of its own and keeps the terminals' request ids in
an in-memory LRU of the last 32 "for idempotency": a retry sent at once is recognised (the back
end answers it as a duplicate), a retry sent after 32 other reports — a terminal's store-and-
forward queue draining after an outage — is stored again as a new use. Answers and QueryUsage
show the terminal's own request id, so nothing looks different."""

from __future__ import annotations

import collections
import secrets
from collections.abc import Iterator
from typing import Any

from reference_node.auth import H_TERMINAL
from reference_node.proto.ehc.node.v1 import usage_pb2

from ._proxy import Call, VendorNode

LRU = 32


class UsageDedupeLru(VendorNode):
    mutant_name = "rt3-usage-dedupe-lru"
    description = "usage idempotency remembered for the last 32 request ids only (later retries stored twice)"
    defect_class = "usage idempotency with a bounded memory"
    catches = ("NODE-USAGE-005",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recent: collections.OrderedDict[tuple[str, str], str] = collections.OrderedDict()
        self.back: dict[str, str] = {}  # vendor id -> the terminal's request id

    def _vendor_id(self, terminal: str, request_id: str) -> str:
        key = (terminal, request_id)
        with self.lock:
            own = self.recent.get(key)
            if own is None:
                own = f"{request_id[:40]}.{secrets.token_hex(6)}"
                self.back[own] = request_id
            self.recent[key] = own
            self.recent.move_to_end(key)
            while len(self.recent) > LRU:
                self.recent.popitem(last=False)
            return own

    def on_request(self, call: Call) -> None:
        if call.name == "Report" and call.request.request_id:
            call.request.request_id = self._vendor_id(call.signer, call.request.request_id)

    def on_response(self, call: Call, response: Any) -> Any:
        if call.name == "Report":
            response.request_id = self.back.get(response.request_id, response.request_id)
        elif call.name == "QueryUsage":
            for record in response.records:
                record.request_id = self.back.get(record.request_id, record.request_id)
        return response

    def on_stream(self, method: str, metadata: list, requests: Iterator[bytes]) -> Iterator[bytes]:
        if not method.endswith("/ReportStream"):
            return self.forward_stream(method, metadata, requests)
        signer = dict(metadata).get(H_TERMINAL, "")

        def renamed() -> Iterator[bytes]:
            for raw in requests:
                record = usage_pb2.UsageRecord.FromString(raw)
                if record.request_id:
                    record.request_id = self._vendor_id(signer, record.request_id)
                yield record.SerializeToString()

        def answers() -> Iterator[bytes]:
            for raw in self.forward_stream(method, metadata, renamed()):
                ack = usage_pb2.ReportAck.FromString(raw)
                ack.request_id = self.back.get(ack.request_id, ack.request_id)
                yield ack.SerializeToString()

        return answers()


MUTANT = UsageDedupeLru
