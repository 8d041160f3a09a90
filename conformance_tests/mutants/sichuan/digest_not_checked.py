"""A platform that computes the digest, logs a mismatch "for monitoring" and serves the call anyway."""

from ._proxy import ProxyPlatform


class DigestNotChecked(ProxyPlatform):
    mutant_name = "digest-not-checked"
    description = "serves envelopes whose digest is wrong or missing"
    defect_class = "envelope digest not verified"
    catches = ("SICHUAN-001",)

    def rewrite_request(self, body):
        return self.resign(body)


MUTANT = DigestNotChecked
