"""A platform whose reportHISData writes a usage row per call, keyed on its own row id: a HIS retry
after a lost answer (same requestId) is stored again and answered as a new report. The answer is a
success either way, so a HIS never notices that its card uses are counted twice."""

import uuid

from reference_node.platforms.tencent_envelope import OPERATION_PREFIX

from ._proxy import ProxyPlatform


class ReportRetryStoredTwice(ProxyPlatform):
    mutant_name = "rt-report-retry-stored-twice"
    description = "a reportHISData retry with the same requestId is stored as a new record"
    defect_class = "usage report not idempotent"
    catches = ("TENCENT-009",)

    def __init__(self, upstream, app_secret):
        super().__init__(upstream, app_secret)
        self.seen: set[str] = set()

    def rewrite_request(self, path, body):
        if path != OPERATION_PREFIX + "reportHISData":
            return body
        request_id = str(body["commonIn"].get("requestId", ""))
        if request_id in self.seen:
            body["commonIn"]["requestId"] = uuid.uuid4().hex.upper()
            return self.resign(body)
        self.seen.add(request_id)
        return body


MUTANT = ReportRetryStoredTwice
