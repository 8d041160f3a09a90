"""A platform that never checks ``sign`` ("the app token already authenticates the caller")."""

from ._proxy import ProxyPlatform


class AcceptsAnySign(ProxyPlatform):
    mutant_name = "accepts-any-sign"
    description = "does not verify commonIn.sign (re-signs whatever arrives)"
    defect_class = "envelope signature not verified"
    catches = ("TENCENT-003", "TENCENT-004")

    def rewrite_request(self, path, body):
        return self.resign(body)


MUTANT = AcceptsAnySign
