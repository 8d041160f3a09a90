"""A platform that signs-checks but never compares the timestamp with its clock."""

import time

from ._proxy import ProxyPlatform


class NoTimeWindow(ProxyPlatform):
    mutant_name = "no-time-window"
    description = "accepts any commonIn.timestamp"
    defect_class = "no time window"
    catches = ("TENCENT-005",)

    def rewrite_request(self, path, body):
        stamp = str(body["commonIn"].get("timestamp", ""))
        if stamp.isdigit() and abs(int(stamp) - time.time()) > 60:
            body["commonIn"]["timestamp"] = str(int(time.time()))
            return self.resign(body)
        return body


MUTANT = NoTimeWindow
