"""A platform whose digest check writes every envelope field into the signing string, empty ones as
``name=&`` (the document says non-empty pairs only), and also accepts the document's string so that
conforming HIS keep working: a HIS that signs empty fields in passes here and fails in production."""

import hashlib

from reference_node.platforms.sichuan_envelope import digest

from ._proxy import ProxyPlatform


def _with_empties(body, key):
    text = "".join(f"{k}={'' if body[k] is None else body[k]}&" for k in sorted(body) if k != "digest")
    return hashlib.md5((text + f"key={key}").encode()).hexdigest().upper()  # noqa: S324 - the platform's


class DigestEmptyIncluded(ProxyPlatform):
    mutant_name = "rt3-digest-empty-included"
    description = "also accepts a digest whose signing string holds the empty fields"
    defect_class = "digest input: empty values handled unlike the document"
    catches = ("SICHUAN-002",)

    def rewrite_request(self, body):
        sent = body.get("digest")
        if isinstance(sent, str) and sent and sent == _with_empties(body, self.md5_key):
            body["digest"] = digest(body, self.md5_key)
        return body


MUTANT = DigestEmptyIncluded
