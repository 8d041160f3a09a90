"""A platform whose sign check was 'made robust' after HIS vendors complained: it trims the sign
and compares it case-insensitively, so a sign with spaces or in another case is served. Base64 is
case-sensitive: a lower-cased sign is another value (the check then holds ~half the bits)."""

from reference_node.platforms.tencent_envelope import sign

from ._proxy import ProxyPlatform


class SignCaseWhitespace(ProxyPlatform):
    mutant_name = "rt3-sign-case-whitespace"
    description = "accepts commonIn.sign trimmed and compared case-insensitively"
    defect_class = "sign compared loosely"
    catches = ("TENCENT-003", "TENCENT-004")

    def rewrite_request(self, path, body):
        common = body["commonIn"]
        sent = common.get("sign")
        if isinstance(sent, str) and sent:
            good = sign(common, body.get("req", {}), self.app_secret)
            if sent != good and sent.strip().lower() == good.lower():
                common["sign"] = good
        return body


MUTANT = SignCaseWhitespace
