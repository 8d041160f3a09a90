"""A platform that 'helpfully' upper-cases the ID number before registering it."""

from ._proxy import ProxyPlatform


class UppercasesX(ProxyPlatform):
    mutant_name = "uppercases-x"
    description = "upper-cases a lower-case x in idNumber instead of refusing it"
    defect_class = "identifier normalised instead of refused"
    catches = ("TENCENT-010",)

    def rewrite_request(self, path, body):
        number = body.get("req", {}).get("idNumber")
        if isinstance(number, str) and number != number.upper():
            body["req"]["idNumber"] = number.upper()
            return self.resign(body)
        return body


MUTANT = UppercasesX
