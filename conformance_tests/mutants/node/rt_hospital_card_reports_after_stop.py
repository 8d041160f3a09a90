"""A Jining vendor that put the hospital-card stop date (seed 001: 10月1日起停止使用) where the
hospital card is read — Resolve — and nowhere else: a usage report with card type 80 that the
node's rule refuses is acknowledged anyway ("the visit happened, the report must not be lost"),
so a HIS that still takes hospital cards keeps reporting them after the date."""

from __future__ import annotations

import uuid
from typing import Any

from reference_node.proto.ehc.node.v1 import usage_pb2

from ._proxy import Call, Refusal, VendorNode

_REFUSED = "NODE_HOSPITAL_CARD_REFUSED"


class HospitalCardReportsAfterStop(VendorNode):
    mutant_name = "rt-hospital-card-reports-after-stop"
    description = "refuses hospital cards after the stop-using date on Resolve only; card-type-80 usage reports are acknowledged"
    defect_class = "province rule (Jining hospital cards) enforced at one entry point only"
    catches = ("NODE-HOSP-001",)
    profile = "shandong-jining"

    def on_refusal(self, call: Call, refusal: Refusal) -> Any:
        if call.name == "Report" and refusal.kit_code == _REFUSED:
            return usage_pb2.ReportAck(
                request_id=call.request.request_id, accepted=True, usage_id=uuid.uuid4().hex
            )
        raise refusal


MUTANT = HospitalCardReportsAfterStop
