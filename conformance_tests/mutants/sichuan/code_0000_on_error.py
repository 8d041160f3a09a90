"""A platform whose code says "the gateway accepted the envelope": 0000 even when the business call
was refused (the reason only in message)."""

from ._proxy import ProxyPlatform


class Code0000OnError(ProxyPlatform):
    mutant_name = "code-0000-on-error"
    description = "answers code 0000 on a business refusal"
    defect_class = "success code on a refusal"
    catches = ("SICHUAN-006",)

    def rewrite_response(self, body, out):
        if str(out.get("code", "")).startswith("2"):
            out["code"] = "0000"
            if out.get("digest"):
                self.resign(out)
        return out


MUTANT = Code0000OnError
