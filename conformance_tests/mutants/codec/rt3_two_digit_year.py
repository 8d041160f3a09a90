"""A vendor whose BCD decoder reads the year as 2000 + its last two digits (the century byte is
"always 20"): a code sealed for 2126 or 1926 is read as 2026 — a forged far-future or ancient
validity time passes as a current one."""

import datetime as dt

from . import _rt3
from ._base import CodecMutant, Outcome


class TwoDigitYear(CodecMutant):
    mutant_name = "rt3-two-digit-year"
    description = "validity year read as 20YY (century byte ignored): 2126 and 1926 codes pass as 2026"
    defect_class = "expiry"
    catches = ("QR-DYN-002", "QR-DYN-003")

    def open(self, text: str, protect_key: bytes, now: dt.datetime) -> Outcome:
        m = _rt3.DYNAMIC_RE.fullmatch(text) if isinstance(text, str) else None
        plain = _rt3.decrypt_field(protect_key, m.group(2)) if m else None
        if plain is not None and plain[7:] == bytes(9):
            tail = _rt3.bcd_digits(plain[1:] + bytes(1))  # the century byte is never looked at
            if tail is not None:
                try:
                    when = dt.datetime(2000 + tail[0], tail[1], tail[2], tail[3], tail[4], tail[5])
                except ValueError:
                    when = None
                if when is not None:
                    text = _rt3.reseal(text, protect_key, when)
        return super().open(text, protect_key, now)


MUTANT = TwoDigitYear
