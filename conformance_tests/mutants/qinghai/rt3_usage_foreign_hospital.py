"""A platform that binds hospital_code on code verification (E0003) but files a physical-card usage
upload (E0009) under the account's organisation whatever hospital_code it names."""

from ._proxy import ProxyPlatform


class UsageForeignHospital(ProxyPlatform):
    mutant_name = "rt3-usage-foreign-hospital"
    description = "RHC_E0009 with another organisation's hospital_code is accepted"
    defect_class = "caller's organisation not bound on usage uploads"
    catches = ("QINGHAI-012",)

    def rewrite_call(self, action, message):
        if action.get("bussinessCode") == "RHC_E0009" and message.get("hospital_code") not in (
            None,
            "",
            self.org_id,
        ):
            message["hospital_code"] = self.org_id
        return action, message


MUTANT = UsageForeignHospital
