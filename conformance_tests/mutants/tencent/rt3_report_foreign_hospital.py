"""A platform that binds the hospital on verifyQRCode (where the security review looked) but files
reportHISData under the app's own hospital whatever req.hospitalCode says: one hospital reports
card uses in another's name and gets result true."""

from ._proxy import ProxyPlatform


class ReportForeignHospital(ProxyPlatform):
    mutant_name = "rt3-report-foreign-hospital"
    description = "reportHISData with another hospital's hospitalCode is accepted"
    defect_class = "caller's organisation not bound on usage reports"
    catches = ("TENCENT-012",)

    def __init__(self, upstream, app_secret, org_code=""):
        super().__init__(upstream, app_secret)
        self.org_code = org_code

    @classmethod
    def create(cls, upstream, credentials):
        return cls(upstream, credentials.secret.hex(), credentials.org_code)

    def rewrite_request(self, path, body):
        req = body.get("req") or {}
        if path.endswith("/reportHISData") and req.get("hospitalCode") not in (None, "", self.org_code):
            req["hospitalCode"] = self.org_code
            return self.resign(body)
        return body


MUTANT = ReportForeignHospital
