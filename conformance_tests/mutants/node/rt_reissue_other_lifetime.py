"""A Jining vendor whose re-issue refusal (a new dynamic code is refused while one is valid) looks
for the same request: a valid code of the same lifetime. An app that asks with another lifetime
(a kiosk's 60 s after the phone's 300 s) is treated as a new kind of code and gets a second one
while the first is still valid — two live codes per card. The vendor's back end issues whatever
it is asked; the refusal is the vendor's own table in front of it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import grpc

from reference_node.proto.ehc.node.v1 import common_pb2

from ._proxy import Call, Refusal, VendorNode

_DYNAMIC = common_pb2.CODE_TYPE_DYNAMIC
_CST = timezone(timedelta(hours=8))  # valid_until is Beijing time (DIGEST §1.3)


class ReissueOtherLifetime(VendorNode):
    mutant_name = "rt-reissue-other-lifetime"
    description = (
        "refuses a re-issue while a code is valid only when the new request asks for the same lifetime"
    )
    defect_class = "province rule (Jining re-issue refusal) keyed on the request, not the card"
    catches = ("QR-DYN-007",)
    profile = "shandong-jining"

    @staticmethod
    def backend_config(config: Any) -> Any:
        return replace(config, refuse_reissue_while_valid=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.issued: dict[tuple[str, int], str] = {}  # (ehcid, lifetime asked) -> valid until

    def on_request(self, call: Call) -> None:
        req = call.request
        if call.name == "GetQrCode" and req.code_type == _DYNAMIC:
            until = self.issued.get((req.ehcid, req.lifetime_seconds))
            now = datetime.now(_CST).strftime("%Y%m%d%H%M%S")
            if until and until >= now:
                message = "a dynamic code of this card is still valid"
                info = common_pb2.ErrorInfo(code="NODE_QR_REISSUE_REFUSED", number=4406, message=message)
                trailers = (
                    ("ehc-error-code", info.code),
                    ("ehc-error-number", str(info.number)),
                    ("ehc-error-bin", info.SerializeToString()),
                )
                raise Refusal(grpc.StatusCode.FAILED_PRECONDITION, f"{info.code} (4406): {message}", trailers)

    def on_response(self, call: Call, response: Any) -> Any:
        req = call.request
        if call.name == "GetQrCode" and req.code_type == _DYNAMIC and response.valid_until:
            with self.lock:
                self.issued[(req.ehcid, req.lifetime_seconds)] = response.valid_until
        return response


MUTANT = ReissueOtherLifetime
