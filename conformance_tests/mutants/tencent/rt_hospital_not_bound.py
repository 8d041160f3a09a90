"""A platform that authenticates the app and then trusts the hospital the request names: a HIS (or
anyone holding one hospital's app secret) verifies codes and reports card uses in the name of
another hospital — here shown by a platform that files every call under the app's own hospital
without refusing the foreign hospitalId / hospitalCode."""

from ._proxy import ProxyPlatform


class HospitalNotBound(ProxyPlatform):
    mutant_name = "rt-hospital-not-bound"
    description = "a hospitalId or req.hospitalCode of another organisation is accepted"
    defect_class = "caller's organisation not bound to the request"
    catches = ("TENCENT-012",)

    def __init__(self, upstream, app_secret, org_code=""):
        super().__init__(upstream, app_secret)
        self.org_code = org_code

    @classmethod
    def create(cls, upstream, credentials):
        return cls(upstream, credentials.secret.hex(), credentials.org_code)

    def rewrite_request(self, path, body):
        changed = False
        if body["commonIn"].get("hospitalId") not in (None, "", self.org_code):
            body["commonIn"]["hospitalId"] = self.org_code
            changed = True
        req = body.get("req") or {}
        if req.get("hospitalCode") not in (None, "", self.org_code):
            req["hospitalCode"] = self.org_code
            changed = True
        return self.resign(body) if changed else body


MUTANT = HospitalNotBound
