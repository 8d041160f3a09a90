"""A vendor whose operator console and terminal API share one backend: registry and supervision
methods check that the caller is authenticated, not that it is the operator. Any terminal can
register terminals, issue itself credentials or promote itself."""

from __future__ import annotations

from ._proxy import Call, VendorNode

OPERATOR_SERVICES = ("/ehc.node.v1.RegistryService/", "/ehc.node.v1.SupervisionService/")


class RegistryOpenToTerminals(VendorNode):
    mutant_name = "registry-open-to-terminals"
    description = "runs registry and supervision calls of any authenticated terminal as the operator"
    defect_class = "authorisation: operator methods open to terminals"
    catches = ("NODE-AUTHZ-001",)

    def on_request(self, call: Call) -> None:
        if call.method.startswith(OPERATOR_SERVICES) and self.caller(call.signer) is not None:
            call.sign_as = self.admin


MUTANT = RegistryOpenToTerminals
