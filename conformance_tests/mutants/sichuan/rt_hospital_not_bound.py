"""A platform that authenticates the app by its digest and then trusts the hospitalCode inside
bizContent: one hospital's app verifies codes and reports card uses in another hospital's name
(the platform files them under the app's own hospital instead of refusing)."""

from ...adapters.sichuan import reference_aes_mode
from ._proxy import ProxyPlatform


class HospitalNotBound(ProxyPlatform):
    mutant_name = "rt-hospital-not-bound"
    description = "a bizContent hospitalCode of another organisation is accepted"
    defect_class = "caller's organisation not bound to the request"
    catches = ("SICHUAN-011",)

    def __init__(self, upstream, secret, aes_mode, org_code=""):
        super().__init__(upstream, secret, aes_mode)
        self.org_code = org_code

    @classmethod
    def create(cls, upstream, credentials):
        return cls(upstream, bytes(credentials.secret), reference_aes_mode(), credentials.org_code)

    def rewrite_request(self, body):
        content = self.content(body)
        if content and content.get("hospitalCode") not in (None, "", self.org_code):
            content["hospitalCode"] = self.org_code
            return self.with_content(body, content)
        return body


MUTANT = HospitalNotBound
