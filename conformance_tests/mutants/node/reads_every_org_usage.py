"""A vendor whose usage query filters by what the caller asks for, not by who asks: a terminal
reads every organisation's usage records (and card holders' visits with them)."""

from __future__ import annotations

from ._proxy import Call, VendorNode


class ReadsEveryOrgUsage(VendorNode):
    mutant_name = "reads-every-org-usage"
    description = "QueryUsage answers any organisation's records to any terminal"
    defect_class = "authorisation: usage records not scoped to the organisation"
    catches = ("NODE-AUTHZ-003",)

    def on_request(self, call: Call) -> None:
        if call.name == "QueryUsage" and self.caller(call.signer) is not None:
            call.sign_as = self.admin


MUTANT = ReadsEveryOrgUsage
