"""A vendor that caches successful verifications for five minutes "for the outpatient peak": after
a card is suspended or cancelled, the cached answer keeps verifying it."""

from __future__ import annotations

import time
from typing import Any

from ._proxy import Call, VendorNode

TTL_S = 300.0


class StaleVerificationCache(VendorNode):
    mutant_name = "stale-verification-cache"
    description = "answers VerifyQr from a 5-minute cache of successes (suspension not seen)"
    defect_class = "card status ignored at verification"
    catches = ("NODE-VERIFY-004", "NODE-CARD-001", "NODE-CARD-002")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cache: dict[str, tuple[float, Any]] = {}

    def on_request(self, call: Call) -> None:
        if call.name != "VerifyQr":
            return
        with self.lock:
            hit = self.cache.get(call.request.qr_text)
        if hit is not None and time.monotonic() - hit[0] < TTL_S:
            call.answer = hit[1]

    def on_response(self, call: Call, response: Any) -> Any:
        if call.name == "VerifyQr":
            with self.lock:
                self.cache[call.request.qr_text] = (time.monotonic(), response)
        return response


MUTANT = StaleVerificationCache
