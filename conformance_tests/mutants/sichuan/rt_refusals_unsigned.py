"""A platform that signs its successful answers but builds refusals in an exception handler that
never reaches the signer: every refusal after the app is known carries an empty digest, so a man in
the middle can turn a success into a forged refusal (or read an unsigned code) unnoticed."""

from ._proxy import ProxyPlatform


class RefusalsUnsigned(ProxyPlatform):
    mutant_name = "rt-refusals-unsigned"
    description = "refusals are answered with an empty digest"
    defect_class = "refusal answers unsigned"
    catches = ("SICHUAN-005",)

    def rewrite_response(self, body, out):
        if str(out.get("code", "")) != "0000":
            out["digest"] = ""
        return out


MUTANT = RefusalsUnsigned
