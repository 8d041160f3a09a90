"""A platform that signs its answers with lower-case MD5 hex (Java's DigestUtils.md5Hex default):
a HIS that verifies as the document says (upper case) refuses every answer — or, worse, a HIS
written against this platform compares case-insensitively and then trusts anything."""

from ._proxy import ProxyPlatform


class AnswerDigestLowercase(ProxyPlatform):
    mutant_name = "rt3-answer-digest-lowercase"
    description = "answers carry the digest in lower-case hex"
    defect_class = "answer digest in the wrong case"
    catches = ("SICHUAN-005",)

    def rewrite_response(self, body, out):
        if isinstance(out.get("digest"), str):
            out["digest"] = out["digest"].lower()
        return out


MUTANT = AnswerDigestLowercase
