"""A Jining vendor that implemented the stop-using date of hospital cards but not the earlier
stop-issuing date (seed 001: 6月1日起停止发放): the HIS's "issue a hospital card" call (a
LinkMedium of MEDIUM_HOSPITAL_CARD) is answered as linked — the vendor's own card table takes it —
after 2021-06-01."""

from __future__ import annotations

from typing import Any

from reference_node.proto.ehc.node.v1 import main_index_pb2

from ._proxy import Call, Refusal, VendorNode

_NOT_ISSUED = "NODE_HOSPITAL_CARD_NOT_ISSUED"


class HospitalCardLinkAfterStopIssue(VendorNode):
    mutant_name = "rt-hospital-card-link-after-stop-issue"
    description = (
        "links (issues) hospital cards after the stop-issuing date; only the stop-using date is enforced"
    )
    defect_class = "province rule (Jining hospital cards): one of the two dates missing"
    catches = ("NODE-HOSP-002",)
    profile = "shandong-jining"

    def on_refusal(self, call: Call, refusal: Refusal) -> Any:
        req = call.request
        if call.name == "LinkMedium" and refusal.kit_code == _NOT_ISSUED:
            return main_index_pb2.LinkMediumResponse(
                main_index=req.main_index, medium=req.medium, changed=True
            )
        raise refusal


MUTANT = HospitalCardLinkAfterStopIssue
