"""A platform that "repairs" a lower-case x in the ID number instead of answering 6002."""

from ._proxy import ProxyPlatform


class UppercasesX(ProxyPlatform):
    mutant_name = "uppercases-x"
    description = "upper-cases a lower-case x in id_number instead of refusing with 6002"
    defect_class = "lower-case x repaired instead of refused"
    catches = ("QINGHAI-005",)

    def rewrite_call(self, action, message):
        for name in ("id_number", "guardian_id_number"):
            if isinstance(message.get(name), str):
                message[name] = message[name].upper()
        return action, message


MUTANT = UppercasesX
