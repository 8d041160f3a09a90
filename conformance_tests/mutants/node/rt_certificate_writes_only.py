"""A Jining vendor that enforces 检测备案 where it "matters" — calls that write (registration,
codes, usage reports, card changes) — and lets look-ups through for any authenticated terminal:
an uncertified scanner can still verify codes, resolve cards and read people (the vendor's node
serves them under its own service credential)."""

from __future__ import annotations

from typing import Any

from ._proxy import Call, Refusal, VendorNode

_NOT_CERTIFIED = "NODE_TERMINAL_NOT_CERTIFIED"
_READS = {"VerifyQr", "VerifyChipCard", "Resolve", "GetCard", "Query", "QueryUsage"}


class CertificateWritesOnly(VendorNode):
    mutant_name = "rt-certificate-writes-only"
    description = "uncertified terminals are refused on writes only; verification and look-ups are served"
    defect_class = "province rule (Jining 检测备案) enforced on some methods only"
    catches = ("NODE-CERT-001",)
    profile = "shandong-jining"

    def on_refusal(self, call: Call, refusal: Refusal) -> Any:
        if refusal.kit_code == _NOT_CERTIFIED and call.name in _READS:
            call.sign_as = self.admin
            return self.forward(call)
        raise refusal


MUTANT = CertificateWritesOnly
