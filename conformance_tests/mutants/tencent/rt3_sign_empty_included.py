"""A platform whose sign check builds its input with every key, empty ones as ``k=`` (the PHP
http_build_query habit), and — to keep HIS that follow the document working — also accepts the
document's input. A HIS that signs empty fields in is served here and refused by the real platform;
and a field can be emptied in transit without the sign noticing the difference in meaning."""

import base64
import hashlib
import json

from reference_node.platforms.tencent_envelope import sign

from ._proxy import ProxyPlatform


def _with_empties(common, req, secret):
    values = {k: v for k, v in common.items() if k != "sign"}
    values.update(req)
    parts = []
    for key in sorted(values):
        value = values[key]
        if value is None:
            value = ""
        if not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        parts.append(f"{key}={value}")
    return base64.b64encode(hashlib.sha256(("&".join(parts) + secret).encode()).digest()).decode()


class SignEmptyIncluded(ProxyPlatform):
    mutant_name = "rt3-sign-empty-included"
    description = "also accepts a sign whose input holds the empty fields as k="
    defect_class = "sign input: empty values handled unlike the document"
    catches = ("TENCENT-004",)

    def rewrite_request(self, path, body):
        common, req = body["commonIn"], body.get("req") or {}
        sent = common.get("sign")
        if isinstance(sent, str) and sent == _with_empties(common, req, self.app_secret):
            common["sign"] = sign(common, req, self.app_secret)
        return body


MUTANT = SignEmptyIncluded
