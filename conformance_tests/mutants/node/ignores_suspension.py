"""A vendor whose verification reads only whether the card exists: a suspended card is refused by
its card store, so the front end looks the holder up itself and answers as if all were well."""

from __future__ import annotations

from typing import Any

from reference_node.proto.ehc.node.v1 import issuance_pb2, verification_pb2

from ._proxy import Call, Refusal, VendorNode


class IgnoresSuspension(VendorNode):
    mutant_name = "ignores-suspension"
    description = "verifies suspended cards (the card status is not checked)"
    defect_class = "card status ignored at verification"
    catches = ("NODE-VERIFY-004", "NODE-CARD-001")

    def on_refusal(self, call: Call, refusal: Refusal) -> Any:
        if call.name != "VerifyQr" or "SUSPENDED" not in refusal.kit_code:
            raise refusal
        ehcid = call.request.qr_text.split(":", 1)[0][:64]
        card = self.call_as(
            self.admin, "/ehc.node.v1.IssuanceService/GetCard", issuance_pb2.GetCardRequest(ehcid=ehcid)
        )
        return verification_pb2.VerifyResponse(
            person=card.person, card=card.card, verification_id="cached-ok"
        )


MUTANT = IgnoresSuspension
