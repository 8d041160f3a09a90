"""A platform that keeps no record of the envelopes it served: the same one is served twice."""

from ._proxy import ProxyPlatform


class ReplayAccepted(ProxyPlatform):
    mutant_name = "replay-accepted"
    description = "serves the same envelope again"
    defect_class = "envelope replay not refused"
    catches = ("SICHUAN-004",)

    def __init__(self, *args):
        super().__init__(*args)
        self.seen: set[str] = set()

    def rewrite_request(self, body):
        sent = str(body.get("digest", ""))
        if sent and sent in self.seen and str(body.get("timestamp", "")).isdigit():
            body["timestamp"] = str(int(body["timestamp"]) + 1)
            self.resign(body)
        self.seen.add(sent)
        return body


MUTANT = ReplayAccepted
