"""A vendor whose "not yet valid" check allows a day ("a phone's clock may be a day off"): a code
whose validity time lies a few hours or a whole day ahead — longer than any issuer's lifetime
allows, so forged or sealed under a wrong clock — is accepted. Codes a century ahead are refused."""

import datetime as dt

from qr_codec import text as qr_text

from ._base import CodecMutant, Outcome

SLACK = dt.timedelta(days=1)


class LifetimeBoundOneDay(CodecMutant):
    mutant_name = "rt3-lifetime-bound-one-day"
    description = "codes expiring up to a day ahead accepted (not-yet-valid bound of 24 h)"
    defect_class = "expiry"
    catches = ("QR-DYN-002",)

    def open(self, text: str, protect_key: bytes, now: dt.datetime) -> Outcome:
        wide = qr_text.QrPolicy(
            ehcid_hex_lengths=self.policy.ehcid_hex_lengths,
            default_lifetime=self.policy.default_lifetime,
            max_lifetime=SLACK,
            clock_skew=self.policy.clock_skew,
        )
        request = {"text": text, "now": now.strftime("%Y%m%d%H%M%S"), "protect_key": "<TEST-ONLY key>"}
        return self._outcome("open", request, lambda: qr_text.parse(text, protect_key, now, policy=wide))


MUTANT = LifetimeBoundOneDay
