"""A vendor that "cleans up what scanners add" before parsing: an AIM symbology identifier
(`]Q1`, `]Q3` — QR Code, as many USB scanners are configured to prefix), a trailing GS/RS/EOT
control character and no-break or line-separator spaces are removed. Plain whitespace, tabs and
line ends are refused as the kit requires, so the usual framing probes see a strict parser."""

import datetime as dt
import re

from ._base import CodecMutant, Outcome

_FRAMING = re.compile(r"^(?:\]Q[0-9])?(?P<body>.*?)[\x04\x1d\x1e\u00a0\u2028\u2029\x85]*\Z", re.S)


def _unframed(text: object) -> object:
    if not isinstance(text, str):
        return text
    m = _FRAMING.match(text.lstrip("\u00a0\u2028\u2029\x85"))
    return m.group("body") if m else text


class StripsScannerFraming(CodecMutant):
    mutant_name = "rt3-strips-scanner-framing"
    description = "strips an AIM ']Q1' prefix, trailing GS/RS/EOT and no-break/line-separator spaces"
    defect_class = "framing"
    catches = ("QR-TEXT-008",)

    def parse(self, text: str) -> Outcome:
        return super().parse(_unframed(text))  # type: ignore[arg-type]

    def open(self, text: str, protect_key: bytes, now: dt.datetime) -> Outcome:
        return super().open(_unframed(text), protect_key, now)  # type: ignore[arg-type]


MUTANT = StripsScannerFraming
