"""A platform whose tokens stay valid for their 7200 s even after a newer one was fetched
(tokens kept in a list per app instead of one current token)."""

from reference_node.platforms.tencent_envelope import TOKEN_PATH

from ._proxy import ProxyPlatform


class TokenNotSuperseded(ProxyPlatform):
    mutant_name = "token-not-superseded"
    description = "keeps every token of an app valid after a new one is issued"
    defect_class = "token life: new token does not invalidate the old"
    catches = ("TENCENT-002",)

    def __init__(self, upstream, app_secret):
        super().__init__(upstream, app_secret)
        self.issued: list[str] = []

    def rewrite_request(self, path, body):
        token = body["commonIn"].get("appToken")
        if path != TOKEN_PATH and self.issued and token in self.issued and token != self.issued[-1]:
            body["commonIn"]["appToken"] = self.issued[-1]
            return self.resign(body)
        return body

    def rewrite_response(self, path, body, out):
        if path == TOKEN_PATH and out.get("rsp", {}).get("appToken"):
            self.issued.append(out["rsp"]["appToken"])
        return out


MUTANT = TokenNotSuperseded
