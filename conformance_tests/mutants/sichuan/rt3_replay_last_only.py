"""A platform whose replay check remembers only the previous envelope of the app (one column
last_digest on the app row): an envelope replayed after any other call is served again."""

from ._proxy import ProxyPlatform


class ReplayLastOnly(ProxyPlatform):
    mutant_name = "rt3-replay-last-only"
    description = "remembers only the app's last digest"
    defect_class = "replay memory of one"
    catches = ("SICHUAN-004",)

    def __init__(self, *args):
        super().__init__(*args)
        self.seen: set[str] = set()
        self.last = ""

    def rewrite_request(self, body):
        sent = str(body.get("digest", ""))
        if sent and sent in self.seen and sent != self.last and str(body.get("timestamp", "")).isdigit():
            body["timestamp"] = str(int(body["timestamp"]) + 1)
            self.resign(body)
        if sent:
            self.seen.add(sent)
            self.last = sent
        return body


MUTANT = ReplayLastOnly
