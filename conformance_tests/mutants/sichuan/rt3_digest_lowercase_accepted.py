"""A platform that compares the digest case-insensitively (equalsIgnoreCase): the document says
upper-case hex, a HIS sending lower case is served here and refused by the real platform."""

from reference_node.platforms.sichuan_envelope import digest

from ._proxy import ProxyPlatform


class DigestLowercaseAccepted(ProxyPlatform):
    mutant_name = "rt3-digest-lowercase-accepted"
    description = "accepts the digest in lower case or with spaces around it"
    defect_class = "digest compared loosely"
    catches = ("SICHUAN-001", "SICHUAN-002")

    def rewrite_request(self, body):
        sent = body.get("digest")
        if isinstance(sent, str) and sent:
            good = digest(body, self.md5_key)
            if sent != good and sent.strip().upper() == good:
                body["digest"] = good
        return body


MUTANT = DigestLowercaseAccepted
