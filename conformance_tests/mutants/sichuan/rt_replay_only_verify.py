"""A platform that added replay protection where the security review asked for it — on
healthcard.qrcode.verify — and nowhere else: a replayed register, code request or usage report is
served again (a captured qrcode.get hands out a fresh code to whoever replays it)."""

from ._proxy import ProxyPlatform


class ReplayOnlyVerify(ProxyPlatform):
    mutant_name = "rt-replay-only-verify"
    description = "refuses a replayed envelope only for healthcard.qrcode.verify"
    defect_class = "replay protection on one method only"
    catches = ("SICHUAN-004",)

    def __init__(self, *args):
        super().__init__(*args)
        self.seen: set[str] = set()

    def rewrite_request(self, body):
        sent = str(body.get("digest", ""))
        if (
            sent in self.seen
            and body.get("method") != "healthcard.qrcode.verify"
            and str(body.get("timestamp", "")).isdigit()
        ):
            body["timestamp"] = str(int(body["timestamp"]) + 1)
            self.resign(body)
        if sent:
            self.seen.add(sent)
        return body


MUTANT = ReplayOnlyVerify
