"""A Jining vendor that sells its node with its own hospital front-end (前置服务器): the front-end
signs every relayed call with the hospital's one credential, and the vendor's node takes the
front-end's certificate for the whole hospital. A call of a registered front-end (terminal type
98) that holds a valid certificate is served whatever terminal it names — an uncertified one, one
the node never registered, or none at all (the header dropped, the call served on the operator's
service credential). NODE-CERT-001 passes: a terminal calling the node itself is still judged."""

from __future__ import annotations

from typing import Any

from reference_node.auth import H_ON_BEHALF_OF
from reference_node.proto.ehc.node.v1 import registry_pb2

from ._proxy import Call, Refusal, VendorNode

_NOT_CERTIFIED = "NODE_TERMINAL_NOT_CERTIFIED"
_GET_TERMINAL = "/ehc.node.v1.RegistryService/GetTerminal"
_LIST_CERTIFICATES = "/ehc.node.v1.RegistryService/ListCertificates"
_FRONTEND = "98"


class LaundersTerminals(VendorNode):
    mutant_name = "fe-launders-terminals"
    description = (
        "a certified front-end's calls are served whatever terminal it relays for "
        "(the front-end's certificate stands for every device of the hospital)"
    )
    defect_class = "province rule (Jining 检测备案): terminals laundered through a front-end's credential"
    catches = ("NODE-CERT-004",)
    profile = "shandong-jining"

    def on_refusal(self, call: Call, refusal: Refusal) -> Any:
        if refusal.kit_code != _NOT_CERTIFIED or not self._certified_frontend(call.signer):
            raise refusal
        call.metadata = [(k, v) for k, v in call.metadata if k != H_ON_BEHALF_OF]
        call.sign_as = self.admin
        return self.forward(call)

    def _certified_frontend(self, terminal_id: str) -> bool:
        """The vendor's check: the SIGNER is a front-end with a valid certificate of its own."""
        try:
            terminal = self.call_as(
                self.admin, _GET_TERMINAL, registry_pb2.GetTerminalRequest(terminal_id=terminal_id)
            )
            if terminal.terminal_type != _FRONTEND:
                return False
            certs = self.call_as(
                self.admin, _LIST_CERTIFICATES, registry_pb2.ListCertificatesRequest(terminal_id=terminal_id)
            )
        except Refusal:
            return False
        return any(c.verdict == "pass" and not c.revoked_at for c in certs.certificates)


MUTANT = LaundersTerminals
