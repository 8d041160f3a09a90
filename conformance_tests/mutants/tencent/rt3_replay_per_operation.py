"""A platform that keeps one requestId cache per operation (a dict of sets keyed by the path, one
per handler): the same requestId replayed on another operation is served."""

import uuid

from ._proxy import ProxyPlatform


class ReplayPerOperation(ProxyPlatform):
    mutant_name = "rt3-replay-per-operation"
    description = "remembers requestIds per operation only"
    defect_class = "replay cache scoped per operation"
    catches = ("TENCENT-006",)

    def __init__(self, upstream, app_secret):
        super().__init__(upstream, app_secret)
        self.seen: dict[str, str] = {}

    def rewrite_request(self, path, body):
        rid = body["commonIn"].get("requestId")
        if not isinstance(rid, str) or not rid:
            return body
        first = self.seen.setdefault(rid, path)
        if first != path:
            body["commonIn"]["requestId"] = uuid.uuid4().hex.upper()
            return self.resign(body)
        return body


MUTANT = ReplayPerOperation
