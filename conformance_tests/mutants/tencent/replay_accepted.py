"""A platform that logs requestId but never refuses a repeated one."""

import uuid

from ._proxy import ProxyPlatform


class ReplayAccepted(ProxyPlatform):
    mutant_name = "replay-accepted"
    description = "answers a replayed requestId again"
    defect_class = "request replay not refused"
    catches = ("TENCENT-006",)

    def __init__(self, upstream, app_secret):
        super().__init__(upstream, app_secret)
        self.seen: set[str] = set()

    def rewrite_request(self, path, body):
        rid = body["commonIn"].get("requestId")
        if rid in self.seen:
            body["commonIn"]["requestId"] = uuid.uuid4().hex.upper()
            return self.resign(body)
        self.seen.add(rid)
        return body


MUTANT = ReplayAccepted
