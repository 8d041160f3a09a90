"""A Jining vendor that accepts any signed PASS terminal report, whatever profile it was certified
under (a national or another city's report is "a certificate" too)."""

from __future__ import annotations

from ._certs import CertificateTable
from ._proxy import Call, Refusal


class AnyProfile(CertificateTable):
    mutant_name = "cert-any-profile"
    description = "a PASS report certified under another profile registers the terminal"
    defect_class = "province rule (Jining 检测备案): the report's profile not checked"
    catches = ("NODE-CERT-002",)
    profile = "shandong-jining"

    def accepts(self, call: Call, refusal: Refusal) -> bool:
        return refusal.kit_code == "NODE_CERTIFICATE_WRONG_PROFILE"


MUTANT = AnyProfile
