"""A vendor whose card look-ups (GetCard, Query, GetAudit) are "read-only, so harmless": any
terminal reads any organisation's card holders and their audit trail."""

from __future__ import annotations

from ._proxy import Call, VendorNode

READS = {"GetCard", "Query", "GetAudit"}


class ReadsAnyCard(VendorNode):
    mutant_name = "reads-any-card"
    description = "answers GetCard, Query and GetAudit of any organisation's card to any terminal"
    defect_class = "authorisation: personal data read across organisations"
    catches = ("NODE-AUTHZ-003",)

    def on_request(self, call: Call) -> None:
        if call.name in READS and self.caller(call.signer) is not None:
            call.sign_as = self.admin


MUTANT = ReadsAnyCard
