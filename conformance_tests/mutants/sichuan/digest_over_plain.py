"""A platform whose first release signed the decrypted bizContent; to keep old clients working it
accepts a digest over the plain JSON as well as over the encrypted text."""

import hmac
import json

from reference_node.platforms.sichuan_envelope import digest

from ._proxy import ProxyPlatform


class DigestOverPlain(ProxyPlatform):
    mutant_name = "digest-over-plain"
    description = "accepts a digest computed over the plain (decrypted) bizContent"
    defect_class = "digest input: bizContent not as sent"
    catches = ("SICHUAN-002",)

    def rewrite_request(self, body):
        content = self.content(body)
        if content is None:
            return body
        plain = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
        legacy = digest({**body, "bizContent": plain}, self.md5_key)
        if hmac.compare_digest(str(body.get("digest", "")), legacy):
            return self.resign(body)
        return body


MUTANT = DigestOverPlain
