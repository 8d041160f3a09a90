"""A platform that cuts over-long fields to its column size instead of refusing them."""

from ._proxy import ProxyPlatform

BOUNDS = {"name": 50, "qr_code": 256, "address": 200}


class TruncatesFields(ProxyPlatform):
    mutant_name = "truncates-fields"
    description = "truncates over-long fields (name, qr_code, address) and carries on"
    defect_class = "field truncated instead of refused"
    catches = ("QINGHAI-009",)

    def rewrite_call(self, action, message):
        for name, bound in BOUNDS.items():
            if isinstance(message.get(name), str):
                message[name] = message[name][:bound]
        return action, message


MUTANT = TruncatesFields
