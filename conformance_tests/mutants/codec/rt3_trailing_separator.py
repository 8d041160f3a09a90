"""A vendor whose parser splits the text on ':' and drops empty fields ("scanners append a stray
separator"): `<EHCID>:1:` and `<EHCID>:0:<V>:` are read as well-formed codes."""

import datetime as dt

from ._base import CodecMutant, Outcome


def _drop_empty_fields(text: object) -> object:
    if isinstance(text, str) and text.endswith(":") and text.rstrip(":"):
        return text.rstrip(":")
    return text


class TrailingSeparator(CodecMutant):
    mutant_name = "rt3-trailing-separator"
    description = "drops empty trailing fields: a code followed by one or more ':' is accepted"
    defect_class = "framing"
    catches = ("QR-TEXT-008",)

    def parse(self, text: str) -> Outcome:
        return super().parse(_drop_empty_fields(text))  # type: ignore[arg-type]

    def open(self, text: str, protect_key: bytes, now: dt.datetime) -> Outcome:
        return super().open(_drop_empty_fields(text), protect_key, now)  # type: ignore[arg-type]

    def classify(self, text: str) -> Outcome:
        return super().classify(_drop_empty_fields(text))  # type: ignore[arg-type]


MUTANT = TrailingSeparator
