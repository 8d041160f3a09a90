"""A platform that decrypts what it receives but answers bizContent as plain JSON ("HTTPS protects
it anyway"), signed over that plain text."""

import json

from ._proxy import ProxyPlatform


class BizUnencrypted(ProxyPlatform):
    mutant_name = "biz-unencrypted"
    description = "answers bizContent in plain JSON"
    defect_class = "answer bizContent not encrypted"
    catches = ("SICHUAN-005",)

    def rewrite_response(self, body, out):
        content = self.content(out)
        if content is not None:
            out["bizContent"] = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
            self.resign(out)
        return out


MUTANT = BizUnencrypted
