"""A platform that "tolerates" HIS clients sending the timestamp in seconds (10 digits): it is
multiplied by 1000 before the window check. The interface says milliseconds; read as milliseconds a
10-digit value is January 1970 and must be refused — and the digest the HIS computed covered the
seconds value, which the platform re-signs over."""

import time

from ._proxy import ProxyPlatform


class SecondsTimestamp(ProxyPlatform):
    mutant_name = "rt-seconds-timestamp"
    description = "a 10-digit (seconds) timestamp is read as seconds and accepted"
    defect_class = "timestamp unit confused (s vs ms)"
    catches = ("SICHUAN-003",)

    def rewrite_request(self, body):
        stamp = str(body.get("timestamp", ""))
        if stamp.isdigit() and len(stamp) <= 10 and abs(int(stamp) - time.time()) <= 300:
            body["timestamp"] = str(int(stamp) * 1000)
            self.resign(body)
        return body


MUTANT = SecondsTimestamp
