r"""A vendor whose pattern is `^([0-9A-F]{64}):(\d)...` and whose type check is `int(kind)`: in
Python (and in .NET, Java with UNICODE_CHARACTER_CLASS) `\d` and `int()` take any Unicode decimal
digit, so a full-width '１' or an Arabic-Indic '٠' passes as the type digit."""

import datetime as dt
import re
import unicodedata

from ._base import CodecMutant, Outcome

_VENDOR = re.compile(r"([0-9A-F]{32}|[0-9A-F]{64}|[0-9A-F]{96}):(\d)(:[0-9A-F]{32})?")


def _ascii_type(text: object) -> object:
    m = _VENDOR.fullmatch(text) if isinstance(text, str) else None
    if m is None or m.group(2).isascii():
        return text
    kind = str(unicodedata.decimal(m.group(2)))
    return f"{m.group(1)}:{kind}{m.group(3) or ''}"


class UnicodeTypeDigit(CodecMutant):
    mutant_name = "rt3-unicode-type-digit"
    description = "type digit matched with \\d and int(): full-width and other Unicode digits 0/1 accepted"
    defect_class = "type field"
    catches = ("QR-TEXT-003", "QR-TEXT-004", "QR-TEXT-008")

    def parse(self, text: str) -> Outcome:
        return super().parse(_ascii_type(text))  # type: ignore[arg-type]

    def open(self, text: str, protect_key: bytes, now: dt.datetime) -> Outcome:
        return super().open(_ascii_type(text), protect_key, now)  # type: ignore[arg-type]

    def classify(self, text: str) -> Outcome:
        return super().classify(_ascii_type(text))  # type: ignore[arg-type]


MUTANT = UnicodeTypeDigit
