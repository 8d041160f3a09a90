"""A vendor whose permission check runs after the write: a foreign terminal's suspend, cancel,
modify, code or link is carried out, then answered PERMISSION_DENIED. The refusal looks right;
the card changed anyway."""

from __future__ import annotations

from typing import Any

import grpc

from reference_node.proto.ehc.node.v1 import issuance_pb2

from ._proxy import Call, Refusal, VendorNode
from .ignores_org_on_lifecycle import LIFECYCLE


class RefusesAfterActing(VendorNode):
    mutant_name = "refuses-after-acting"
    description = "acts on another organisation's card, then answers PERMISSION_DENIED"
    defect_class = "authorisation: refusal after the change"
    catches = ("NODE-AUTHZ-002",)

    def _owner_org(self, call: Call) -> str:
        ehcid = getattr(call.request, "ehcid", "") or getattr(call.request, "guardian_ehcid", "")
        try:
            if ehcid:
                got = self.call_as(
                    self.admin,
                    "/ehc.node.v1.IssuanceService/GetCard",
                    issuance_pb2.GetCardRequest(ehcid=ehcid),
                )
                return got.card.org_code
            main_index = getattr(call.request, "main_index", "")
            got = self.call_as(
                self.admin,
                "/ehc.node.v1.IssuanceService/Query",
                issuance_pb2.QueryRequest(main_index=main_index),
            )
            return got.cards[0].org_code if got.cards else ""
        except Refusal:
            return ""

    def on_request(self, call: Call) -> None:
        signer = self.caller(call.signer)
        if call.name in LIFECYCLE and signer is not None and signer is not self.admin:
            call.notes["foreign"] = self._owner_org(call) not in ("", signer.org_code)
            call.sign_as = self.admin  # the write runs with the service account ...

    def on_response(self, call: Call, response: Any) -> Any:
        if call.notes.get("foreign"):  # ... and the permission check comes afterwards
            raise Refusal(grpc.StatusCode.PERMISSION_DENIED, "not your organisation's card")
        return response


MUTANT = RefusesAfterActing
