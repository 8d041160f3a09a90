"""A platform that checks the digest of requests but sends its answers unsigned ("the client
trusts us"): a forged answer cannot be told from a real one."""

from ._proxy import ProxyPlatform


class UnsignedAnswers(ProxyPlatform):
    mutant_name = "unsigned-answers"
    description = "answers with an empty digest"
    defect_class = "answers not signed"
    catches = ("SICHUAN-005",)

    def rewrite_response(self, body, out):
        out["digest"] = ""
        return out


MUTANT = UnsignedAnswers
