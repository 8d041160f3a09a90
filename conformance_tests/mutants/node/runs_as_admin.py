"""A vendor whose node talks to its card store with one service account: it checks the terminal's
signature, then runs every call with the operator's rights. Every terminal can do everything."""

from __future__ import annotations

from ._proxy import Call, VendorNode


class RunsAsAdmin(VendorNode):
    mutant_name = "runs-as-admin"
    description = "authenticates the terminal, then runs every call with the admin credential"
    defect_class = "authorisation: privilege escalation"
    catches = ("NODE-AUTHZ-001", "NODE-AUTHZ-002", "NODE-AUTHZ-003", "NODE-AUTHZ-004")

    def on_request(self, call: Call) -> None:
        if self.caller(call.signer) is not None:
            call.sign_as = self.admin


MUTANT = RunsAsAdmin
