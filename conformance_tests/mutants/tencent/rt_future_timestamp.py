"""A platform that checks only that a request is not stale (``now - timestamp > 300``) and forgets
the absolute value: a timestamp from the future — a HIS clock hours ahead, or a millisecond
timestamp read as seconds — is accepted, so a request signed today can be held and sent later."""

import time

from ._proxy import ProxyPlatform


class FutureTimestamp(ProxyPlatform):
    mutant_name = "rt-future-timestamp"
    description = "refuses stale timestamps only: any future (or millisecond) timestamp is accepted"
    defect_class = "time window one-sided"
    catches = ("TENCENT-005",)

    def rewrite_request(self, path, body):
        stamp = str(body["commonIn"].get("timestamp", ""))
        if stamp.isdigit() and int(stamp) > time.time() + 60:
            body["commonIn"]["timestamp"] = str(int(time.time()))
            return self.resign(body)
        return body


MUTANT = FutureTimestamp
