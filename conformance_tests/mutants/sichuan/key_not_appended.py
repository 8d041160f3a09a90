"""A platform that forgot to append key=<MD5Key> to the signing string (and, once told, accepts
both forms)."""

import hashlib
import hmac

from reference_node.platforms.sichuan_envelope import sign_string

from ._proxy import ProxyPlatform


class KeyNotAppended(ProxyPlatform):
    mutant_name = "key-not-appended"
    description = "accepts a digest over the k=v& pairs without key="
    defect_class = "digest input: key not appended"
    catches = ("SICHUAN-002",)

    def rewrite_request(self, body):
        text = sign_string(body, self.md5_key).removesuffix(f"key={self.md5_key}")
        keyless = hashlib.md5(text.encode("utf-8")).hexdigest().upper()  # noqa: S324 - the platform's
        if hmac.compare_digest(str(body.get("digest", "")), keyless):
            return self.resign(body)
        return body


MUTANT = KeyNotAppended
