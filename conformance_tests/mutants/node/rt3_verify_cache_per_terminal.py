"""A vendor that keeps a 3-second cache of successful static-code verifications per terminal
session ("a scanner often reads the same code twice"). A suspension or cancellation made by a
terminal clears that terminal's own cache, so the terminal that suspended the card is refused at
once — but another terminal that verified the card in the last seconds is still answered from
its cache."""

from __future__ import annotations

import time
from typing import Any

from reference_node.proto.ehc.node.v1 import common_pb2

from ._proxy import Call, VendorNode

TTL_S = 3.0


class VerifyCachePerTerminal(VendorNode):
    mutant_name = "rt3-verify-cache-per-terminal"
    description = (
        "static verifications cached 3 s per terminal; a suspension clears only its own terminal's cache"
    )
    defect_class = "card status ignored at verification (short per-session cache)"
    catches = ("NODE-VERIFY-004", "NODE-CARD-001", "NODE-CARD-002")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cache: dict[tuple[str, str], tuple[float, Any]] = {}

    def on_request(self, call: Call) -> None:
        if call.name in ("Suspend", "Cancel"):
            with self.lock:
                for key in [k for k in self.cache if k[0] == call.signer]:
                    del self.cache[key]
            return
        if call.name != "VerifyQr":
            return
        with self.lock:
            hit = self.cache.get((call.signer, call.request.qr_text))
        if hit is not None and time.monotonic() - hit[0] < TTL_S:
            call.answer = hit[1]

    def on_response(self, call: Call, response: Any) -> Any:
        if call.name == "VerifyQr" and response.code_type == common_pb2.CODE_TYPE_STATIC:
            with self.lock:
                self.cache[(call.signer, call.request.qr_text)] = (time.monotonic(), response)
        return response


MUTANT = VerifyCachePerTerminal
