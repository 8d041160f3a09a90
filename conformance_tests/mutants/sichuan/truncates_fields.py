"""A platform that cuts over-long fields to its column size instead of refusing them."""

from ._proxy import ProxyPlatform

BOUNDS = {"name": 50, "qrCode": 256, "address": 200}


class TruncatesFields(ProxyPlatform):
    mutant_name = "truncates-fields"
    description = "truncates over-long fields (name, qrCode, address) and carries on"
    defect_class = "field truncated instead of refused"
    catches = ("SICHUAN-007",)

    def rewrite_request(self, body):
        content = self.content(body)
        if content is None:
            return body
        long = {k: n for k, n in BOUNDS.items() if isinstance(content.get(k), str) and len(content[k]) > n}
        if not long:
            return body
        return self.with_content(body, content | {k: content[k][:n] for k, n in long.items()})


MUTANT = TruncatesFields
