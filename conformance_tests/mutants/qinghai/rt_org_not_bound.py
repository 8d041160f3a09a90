"""A platform that authenticates userName/userPwd and then trusts the organisation the call names:
one hospital's account verifies codes and registers cards under another organisation's orgId or
hospital_code (here: the platform files the call under the account's own organisation instead of
refusing it)."""

from ._proxy import ProxyPlatform


class OrgNotBound(ProxyPlatform):
    mutant_name = "rt-org-not-bound"
    description = "an orgId or hospital_code of another organisation is accepted"
    defect_class = "caller's organisation not bound to the request"
    catches = ("QINGHAI-012",)

    def rewrite_call(self, action, message):
        if action.get("orgId") and action["orgId"] != self.org_id:
            action["orgId"] = self.org_id
        if message.get("hospital_code") and message["hospital_code"] != self.org_id:
            message["hospital_code"] = self.org_id
        return action, message


MUTANT = OrgNotBound
