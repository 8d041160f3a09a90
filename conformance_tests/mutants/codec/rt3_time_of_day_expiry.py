"""A vendor that reasons "a dynamic code lives minutes, so only the time of day matters": it
compares the HHMMSS of the validity time with the HHMMSS of the clock (both Beijing time) and
ignores the date. Every code expired on an earlier day at a later hour is accepted again."""

import datetime as dt

from . import _rt3
from ._base import CodecMutant, Outcome


class TimeOfDayExpiry(CodecMutant):
    mutant_name = "rt3-time-of-day-expiry"
    description = "expiry compared on the time of day only (the date of the validity time ignored)"
    defect_class = "expiry"
    catches = ("QR-DYN-002",)

    def open(self, text: str, protect_key: bytes, now: dt.datetime) -> Outcome:
        m = _rt3.DYNAMIC_RE.fullmatch(text) if isinstance(text, str) else None
        plain = _rt3.decrypt_field(protect_key, m.group(2)) if m else None
        digits = _rt3.bcd_digits(plain) if plain is not None else None
        if (
            plain is not None
            and digits is not None
            and plain[7:] == bytes(9)
            and isinstance(now, dt.datetime)
        ):
            try:
                day = dt.date(digits[0] * 100 + digits[1], digits[2], digits[3])
            except ValueError:
                day = None
            if day is not None:
                local = now.replace(tzinfo=_rt3.CST) if now.tzinfo is None else now.astimezone(_rt3.CST)
                now = dt.datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=_rt3.CST)
        return super().open(text, protect_key, now)


MUTANT = TimeOfDayExpiry
