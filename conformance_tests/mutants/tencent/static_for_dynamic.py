"""A platform that always hands out the static code from getDynamicQRCode ('the code never
changes, so it is simpler')."""

from ._proxy import ProxyPlatform


class StaticForDynamic(ProxyPlatform):
    mutant_name = "static-for-dynamic"
    description = "answers getDynamicQRCode codeType 0 with the static code"
    defect_class = "dynamic code not issued"
    catches = ("TENCENT-009",)

    def rewrite_request(self, path, body):
        if path.endswith("/getDynamicQRCode") and body.get("req", {}).get("codeType", "0") == "0":
            body["req"]["codeType"] = "1"
            return self.resign(body)
        return body


MUTANT = StaticForDynamic
