"""A vendor whose unary Report goes through a write-behind queue when the node is busy: with four
or more reports in flight, a report is answered "accepted" at once and written by a background
writer about a second later. Alone, a report is written before the answer; a whole stream is
handled by the back end. Nothing is lost while the node keeps running — everything acknowledged
in a busy second is lost by a crash in that second."""

from __future__ import annotations

import queue
import secrets
import threading
import time
from typing import Any

from reference_node.proto.ehc.node.v1 import usage_pb2

from ._proxy import Call, Refusal, VendorNode

BUSY = 4
DELAY_S = 1.0


class EarlyAckUnaryBusy(VendorNode):
    mutant_name = "rt3-early-ack-unary-busy"
    description = "unary usage reports acknowledged from a write-behind queue when 4+ are in flight"
    defect_class = "usage reports acknowledged before they are durable"
    catches = ("NODE-USAGE-007",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_flight = 0
        self.queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._writer, daemon=True).start()

    def _writer(self) -> None:
        while True:
            due, call = self.queue.get()
            time.sleep(max(0.0, due - time.monotonic()))
            try:
                self.forward(call)
            except Refusal:
                pass  # the terminal was told "accepted" long ago
            except ValueError:  # the node was stopped: whatever is still queued is lost
                return

    def on_request(self, call: Call) -> None:
        if call.name != "Report":
            return
        with self.lock:
            self.in_flight += 1
            busy = self.in_flight >= BUSY
        call.notes["counted"] = True
        if busy:
            copy = Call(call.method, call.raw, call.metadata, call.request, call.response_type, call.signer)
            copy.sign_as = self.caller(call.signer)  # written later: signed anew when it is sent
            self.queue.put((time.monotonic() + DELAY_S, copy))
            call.answer = usage_pb2.ReportAck(
                request_id=call.request.request_id, accepted=True, usage_id=secrets.token_hex(16)
            )
            with self.lock:
                self.in_flight -= 1

    def on_response(self, call: Call, response: Any) -> Any:
        if call.notes.get("counted"):
            with self.lock:
                self.in_flight -= 1
        return response

    def on_refusal(self, call: Call, refusal: Refusal) -> Any:
        if call.notes.get("counted"):
            with self.lock:
                self.in_flight -= 1
        raise refusal


MUTANT = EarlyAckUnaryBusy
