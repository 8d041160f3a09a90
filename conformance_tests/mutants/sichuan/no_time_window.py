"""A platform that reads timestamp (it must be digits) but never compares it with its clock."""

import time

from ._proxy import ProxyPlatform


class NoTimeWindow(ProxyPlatform):
    mutant_name = "no-time-window"
    description = "accepts any timestamp"
    defect_class = "time window not enforced"
    catches = ("SICHUAN-003",)

    def rewrite_request(self, body):
        stamp = str(body.get("timestamp", ""))
        if stamp.isdigit() and abs(time.time() - int(stamp) / 1000) > 200 and body.get("digest"):
            body["timestamp"] = str(int(time.time() * 1000))
            return self.resign(body)
        return body


MUTANT = NoTimeWindow
