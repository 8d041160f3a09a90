"""A vendor whose date check is "day 1..31, month 1..12": 30 February, 31 April or 29 February of
a common year decrypt to a "valid" time (clamped to the month's last day) instead of the parse
error 动态二维码有效时间解析错误."""

import calendar
import datetime as dt

from . import _rt3
from ._base import CodecMutant, Outcome


class LenientDay(CodecMutant):
    mutant_name = "rt3-lenient-day"
    description = "validity date checked as day <= 31 for every month (Feb 30, Apr 31 clamped, accepted)"
    defect_class = "validity seal"
    catches = ("QR-DYN-003",)

    def open(self, text: str, protect_key: bytes, now: dt.datetime) -> Outcome:
        m = _rt3.DYNAMIC_RE.fullmatch(text) if isinstance(text, str) else None
        plain = _rt3.decrypt_field(protect_key, m.group(2)) if m else None
        digits = _rt3.bcd_digits(plain) if plain is not None and plain[7:] == bytes(9) else None
        if digits is not None:
            year, month, day = digits[0] * 100 + digits[1], digits[2], digits[3]
            if year >= 1 and 1 <= month <= 12 and 28 < day <= 31:
                last = calendar.monthrange(year, month)[1]
                if day > last:
                    try:
                        when = dt.datetime(year, month, last, digits[4], digits[5], digits[6])
                    except ValueError:
                        when = None
                    if when is not None:
                        text = _rt3.reseal(text, protect_key, when)
        return super().open(text, protect_key, now)


MUTANT = LenientDay
