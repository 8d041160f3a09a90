"""A Jining vendor that caches "certified" per terminal when a certificate is registered and never
looks again: RevokeCertificate reaches the node's table, but the vendor's flag still serves the
recalled terminal."""

from __future__ import annotations

from ._certs import CertificateTable


class IgnoresRevocation(CertificateTable):
    mutant_name = "cert-ignores-revocation"
    description = "a revoked certificate's terminal is still served (a cached certified flag)"
    defect_class = "province rule (Jining 检测备案): revocation not enforced (stale cache)"
    catches = ("NODE-CERT-003",)
    profile = "shandong-jining"
    forgets_on_revoke = False


MUTANT = IgnoresRevocation
