"""A Jining vendor that reads 检测备案 as the terminal's registry status: a terminal the operator
marked CERTIFIED in the registry (UpsertTerminal, certification_status 2) may call, whether or not
a signed PASS certification report was ever registered for it. The vendor's node serves such a
terminal's call itself (here: the call goes on under the operator's service credential)."""

from __future__ import annotations

from typing import Any

from reference_node.proto.ehc.node.v1 import registry_pb2

from ._proxy import Call, Refusal, VendorNode

_NOT_CERTIFIED = "NODE_TERMINAL_NOT_CERTIFIED"
_GET_TERMINAL = "/ehc.node.v1.RegistryService/GetTerminal"


class TrustsCertifiedFlag(VendorNode):
    mutant_name = "rt-trusts-certified-flag"
    description = (
        "a terminal whose registry status says CERTIFIED may call without a registered certification report"
    )
    defect_class = "province rule (Jining 检测备案): certification taken from a flag, not from evidence"
    catches = ("NODE-CERT-001",)
    profile = "shandong-jining"

    def on_refusal(self, call: Call, refusal: Refusal) -> Any:
        if refusal.kit_code != _NOT_CERTIFIED:
            raise refusal
        try:
            terminal = self.call_as(
                self.admin, _GET_TERMINAL, registry_pb2.GetTerminalRequest(terminal_id=call.signer)
            )
        except Refusal:
            raise refusal from None
        if terminal.certification_status != registry_pb2.CERTIFICATION_STATUS_CERTIFIED:
            raise refusal
        call.sign_as = self.admin
        return self.forward(call)


MUTANT = TrustsCertifiedFlag
