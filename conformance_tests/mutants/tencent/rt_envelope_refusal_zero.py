"""A platform whose gateway layer answers its own refusals (bad sign, bad or superseded token,
stale timestamp, replayed requestId) as a transport success: resultCode 0, the reason in errMsg and
an empty rsp. Business refusals keep their codes, so a test of an unknown card sees nothing."""

from ._proxy import ProxyPlatform


class EnvelopeRefusalZero(ProxyPlatform):
    mutant_name = "rt-envelope-refusal-zero"
    description = "envelope refusals (10010-10017) answered with resultCode 0 and errMsg"
    defect_class = "result code misused (gateway layer)"
    catches = ("TENCENT-007", "TENCENT-003", "TENCENT-002", "TENCENT-005", "TENCENT-006")

    def rewrite_response(self, path, body, out):
        common = out.get("commonOut", {})
        if 10010 <= int(common.get("resultCode", 0) or 0) < 10020:
            common["resultCode"] = 0
            out["rsp"] = {}
        return out


MUTANT = EnvelopeRefusalZero
