"""A vendor's node that keeps its own table of certified terminals (检测备案) next to the node's:
``AddCertificate`` refusals it deems harmless become its own acceptance, and a terminal its table
lists is served (under the operator's credential) when the node says NODE_TERMINAL_NOT_CERTIFIED.
Each ``cert-`` mutant is one such vendor shortcut (``accepts``, ``forgets_on_revoke``)."""

from __future__ import annotations

import json
from typing import Any

from reference_node.proto.ehc.node.v1 import registry_pb2

from ._proxy import Call, Refusal, VendorNode

NOT_CERTIFIED = "NODE_TERMINAL_NOT_CERTIFIED"


class CertificateTable(VendorNode):
    forgets_on_revoke = True  # False: a cached "certified" flag outlives a revocation

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.certified: set[str] = set()

    def accepts(self, call: Call, refusal: Refusal) -> bool:
        """Whether the vendor registers a report the node refused."""
        return False

    def on_response(self, call: Call, response: Any) -> Any:
        with self.lock:
            if call.name == "AddCertificate":
                self.certified.update(r.terminal_id for r in response.certificates)
            elif call.name == "RevokeCertificate" and self.forgets_on_revoke:
                self.certified.difference_update(r.terminal_id for r in response.certificates)
        return response

    def on_refusal(self, call: Call, refusal: Refusal) -> Any:
        if call.name == "AddCertificate" and self.accepts(call, refusal):
            return self.on_response(call, _records(call.request))
        with self.lock:
            mine = call.signer in self.certified
        if refusal.kit_code == NOT_CERTIFIED and mine:
            call.sign_as = self.admin
            return self.forward(call)
        raise refusal


def report_of(request: registry_pb2.AddCertificateRequest) -> dict[str, Any]:
    try:
        return json.loads(request.files["report.json"])
    except (KeyError, ValueError):
        return {}


def _records(request: registry_pb2.AddCertificateRequest) -> registry_pb2.ListCertificatesResponse:
    """The records the vendor's own table answers with."""
    report = report_of(request)
    dut, profile = report.get("dut") or {}, report.get("profile") or {}
    return registry_pb2.ListCertificatesResponse(
        certificates=[
            registry_pb2.CertificateRecord(
                cert_id=str(report.get("report_id", "")), terminal_id=t, role=str(report.get("role", "")),
                product=str(dut.get("name", "")), version=str(dut.get("version", "")),
                profile=str(profile.get("name", "")), verdict=str(report.get("verdict", "")),
            )
            for t in request.terminal_ids
        ]
    )  # fmt: skip
