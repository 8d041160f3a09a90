"""A platform that binds hospitalCode on healthcard.qrcode.verify and files healthcard.usage.report
under the app's own organisation whatever hospitalCode the report names."""

from ._proxy import ProxyPlatform


class UsageForeignHospital(ProxyPlatform):
    mutant_name = "rt3-usage-foreign-hospital"
    description = "healthcard.usage.report with another organisation's hospitalCode is accepted"
    defect_class = "caller's organisation not bound on usage reports"
    catches = ("SICHUAN-011",)

    org_code = ""

    @classmethod
    def create(cls, upstream, credentials):
        made = super().create(upstream, credentials)
        assert isinstance(made, UsageForeignHospital)  # create() builds cls
        made.org_code = credentials.org_code
        return made

    def rewrite_request(self, body):
        if body.get("method") != "healthcard.usage.report":
            return body
        content = self.content(body)
        if content and content.get("hospitalCode") not in (None, "", self.org_code):
            content["hospitalCode"] = self.org_code
            return self.with_content(body, content)
        return body


MUTANT = UsageForeignHospital
