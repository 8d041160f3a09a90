"""A platform that 'collapses' identical verifications arriving together (a request-coalescing
cache in front of its verifier, tuned for kiosks that scan twice): every verifyQRCode of a code
that arrives while one for the same code is in flight gets that call's answer. Sequential scans
count as before, but a burst of parallel scans of one dynamic code is answered as success many
more times than the code's use limit — a screenshot of the code works at several desks at once."""

import json
import threading
import time

from ._proxy import ProxyPlatform


class VerifyCoalesced(ProxyPlatform):
    mutant_name = "rt3-verify-coalesced"
    description = "parallel verifyQRCode calls of one code share one verification"
    defect_class = "dynamic code use limit not enforced under concurrency"
    catches = ("TENCENT-014",)
    profile = "shandong-jining"  # the profile with count-limited dynamic codes

    def __init__(self, upstream, app_secret):
        super().__init__(upstream, app_secret)
        self.inflight: dict[str, tuple[threading.Event, list]] = {}
        self.guard = threading.Lock()

    def forward(self, path, raw):
        try:
            body = json.loads(raw)
            text = body["req"]["qrCodeText"] if path.endswith("/verifyQRCode") else None
        except (ValueError, KeyError, TypeError):
            text = None
        if not isinstance(text, str):
            return super().forward(path, raw)
        with self.guard:
            waiting = self.inflight.get(text)
            if waiting is None:
                self.inflight[text] = (threading.Event(), [])
        if waiting is not None:
            done, early = waiting
            done.wait(5)
            if early:
                return early[0]
            return super().forward(path, raw)
        try:
            time.sleep(0.2)  # the coalescing window: gathers the burst behind this call
            answer = super().forward(path, raw)
        finally:
            with self.guard:
                done, box = self.inflight.pop(text)
        box.append(answer)
        done.set()
        return answer


MUTANT = VerifyCoalesced
