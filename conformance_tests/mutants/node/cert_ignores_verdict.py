"""A Jining vendor whose certificate check is "is the lab's signature good?": the report's verdict
is never read, so a terminal that FAILED certification is registered and served."""

from __future__ import annotations

from ._certs import CertificateTable
from ._proxy import Call, Refusal


class IgnoresVerdict(CertificateTable):
    mutant_name = "cert-ignores-verdict"
    description = "a signed report registers its terminal whatever its verdict (FAIL included)"
    defect_class = "province rule (Jining 检测备案): signature checked, verdict not"
    catches = ("NODE-CERT-002",)
    profile = "shandong-jining"

    def accepts(self, call: Call, refusal: Refusal) -> bool:
        return refusal.kit_code == "NODE_CERTIFICATE_NOT_PASS"


MUTANT = IgnoresVerdict
