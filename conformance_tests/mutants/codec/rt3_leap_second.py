"""A vendor that "supports leap seconds": a validity time with second 60 (or minute 60, hour 24 —
the same range check) is rolled over into the next minute/hour/day instead of being refused as a
time that does not exist."""

import datetime as dt

from . import _rt3
from ._base import CodecMutant, Outcome


class LeapSecond(CodecMutant):
    mutant_name = "rt3-leap-second"
    description = "validity time with second 60, minute 60 or hour 24 rolled over, not refused"
    defect_class = "validity seal"
    catches = ("QR-DYN-003",)

    def open(self, text: str, protect_key: bytes, now: dt.datetime) -> Outcome:
        m = _rt3.DYNAMIC_RE.fullmatch(text) if isinstance(text, str) else None
        plain = _rt3.decrypt_field(protect_key, m.group(2)) if m else None
        digits = _rt3.bcd_digits(plain) if plain is not None and plain[7:] == bytes(9) else None
        if digits is not None and (digits[4] == 24 or digits[5] == 60 or digits[6] == 60):
            try:
                day = dt.datetime(digits[0] * 100 + digits[1], digits[2], digits[3])
                when = day + dt.timedelta(hours=digits[4], minutes=digits[5], seconds=digits[6])
            except (ValueError, OverflowError):
                when = None
            if when is not None:
                text = _rt3.reseal(text, protect_key, when)
        return super().open(text, protect_key, now)


MUTANT = LeapSecond
