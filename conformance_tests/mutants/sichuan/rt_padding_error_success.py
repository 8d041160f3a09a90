"""A platform whose decrypt step swallows its exception (bad padding, not Base64, not JSON) and
returns an empty result: the gateway answers code 0000 with an empty, signed bizContent, so a HIS
whose AES key or mode is wrong believes its calls succeed."""

from ._proxy import ProxyPlatform


class PaddingErrorSuccess(ProxyPlatform):
    mutant_name = "rt-padding-error-success"
    description = "a bizContent that does not decrypt is answered 0000 with an empty bizContent"
    defect_class = "decrypt failure answered as success"
    catches = ("SICHUAN-006", "SICHUAN-005")

    def rewrite_response(self, body, out):
        if str(out.get("code", "")) == "1009":
            out["code"] = "0000"
            out["message"] = "success"
            return self.with_content(out, {})
        return out


MUTANT = PaddingErrorSuccess
