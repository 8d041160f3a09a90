"""A platform that cuts over-long fields to their column size instead of refusing them."""

from ._proxy import ProxyPlatform

BOUNDS = {"name": 50, "qrCodeText": 256, "address": 200}


class TruncatesFields(ProxyPlatform):
    mutant_name = "truncates-fields"
    description = "truncates over-long fields (name, qrCodeText, address) and carries on"
    defect_class = "field truncated instead of refused"
    catches = ("TENCENT-008",)

    def rewrite_request(self, path, body):
        req = body.get("req", {})
        cut = {
            k: v[:n]
            for k, n in BOUNDS.items()
            if isinstance(req.get(k), str) and len(req[k]) > n
            for v in [req[k]]
        }
        if cut:
            req.update(cut)
            return self.resign(body)
        return body


MUTANT = TruncatesFields
