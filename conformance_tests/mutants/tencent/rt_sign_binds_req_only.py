"""A platform that caches "good signatures" by the business content they were seen with: once a
sign has verified for a ``req``, the same sign is accepted again with any ``commonIn`` (another
requestId, timestamp, hospitalId). A captured request can be re-sent with a fresh requestId and
timestamp, and commonIn is in effect unsigned."""

import json

from reference_node.platforms.tencent_envelope import sign

from ._proxy import ProxyPlatform


class SignBindsReqOnly(ProxyPlatform):
    mutant_name = "rt-sign-binds-req-only"
    description = "a sign once verified for a req is accepted with any commonIn"
    defect_class = "signature does not cover commonIn"
    catches = ("TENCENT-003",)

    def __init__(self, upstream, app_secret):
        super().__init__(upstream, app_secret)
        self.good: dict[str, str] = {}

    def rewrite_request(self, path, body):
        common, req = body["commonIn"], body.get("req", {})
        sent = common.get("sign")
        content = path + json.dumps(req, sort_keys=True, ensure_ascii=False)
        if sent and sent == sign(common, req, self.app_secret):
            self.good[sent] = content
        elif sent in self.good and self.good[sent] == content:
            return self.resign(body)
        return body


MUTANT = SignBindsReqOnly
