"""A platform that verifies the sign over the fields in the order the JSON body lists them
(commonIn, then req) as well as sorted: it forgot to sort, then 'fixed' it by accepting both."""

import base64
import hashlib

from ._proxy import ProxyPlatform


def document_order_digest(body: dict, secret: str) -> str:
    pairs = [
        f"{k}={v}"
        for part in (body.get("commonIn", {}), body.get("req", {}))
        for k, v in part.items()
        if k != "sign" and v not in ("", None)
    ]
    return base64.b64encode(hashlib.sha256(("&".join(pairs) + secret).encode()).digest()).decode()


class DocumentOrderSign(ProxyPlatform):
    mutant_name = "document-order-sign"
    description = "accepts a sign over unsorted (document-order) pairs"
    defect_class = "sign input not key-sorted"
    catches = ("TENCENT-004",)

    def rewrite_request(self, path, body):
        if body["commonIn"].get("sign") == document_order_digest(body, self.app_secret):
            return self.resign(body)
        return body


MUTANT = DocumentOrderSign
