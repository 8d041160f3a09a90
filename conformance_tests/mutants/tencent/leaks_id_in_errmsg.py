"""A platform whose error messages quote the submitted ID number (for the hotline)."""

from ._proxy import ProxyPlatform


class LeaksIdInErrMsg(ProxyPlatform):
    mutant_name = "leaks-id-in-errmsg"
    description = "quotes idNumber in errMsg of refusals"
    defect_class = "personal data in error messages"
    catches = ("TENCENT-011",)

    def rewrite_response(self, path, body, out):
        number = body.get("req", {}).get("idNumber")
        common = out.get("commonOut", {})
        if number and common.get("resultCode"):
            common["errMsg"] = f"{common.get('errMsg', '')} (idNumber {number})"
        return out


MUTANT = LeaksIdInErrMsg
