"""A platform that "repairs" a lower-case x in the ID number instead of refusing it."""

from ._proxy import ProxyPlatform


class UppercasesX(ProxyPlatform):
    mutant_name = "uppercases-x"
    description = "upper-cases a lower-case x in idNo instead of refusing"
    defect_class = "lower-case x repaired instead of refused"
    catches = ("SICHUAN-009",)

    def rewrite_request(self, body):
        content = self.content(body)
        number = content.get("idNo") if content else None
        if content and isinstance(number, str) and number != number.upper():
            return self.with_content(body, content | {"idNo": number.upper()})
        return body


MUTANT = UppercasesX
