"""A platform that answers business refusals (unknown card, bad code) with resultCode 0 and the
reason in errMsg: 'the call itself succeeded'."""

from ._proxy import ProxyPlatform


class ZeroResultCode(ProxyPlatform):
    mutant_name = "zero-result-code"
    description = "business refusals come back with resultCode 0 (reason only in errMsg)"
    defect_class = "result code misused"
    catches = ("TENCENT-007",)

    def rewrite_response(self, path, body, out):
        common = out.get("commonOut", {})
        if common.get("resultCode", 0) >= 20000:
            common["resultCode"] = 0
        return out


MUTANT = ZeroResultCode
