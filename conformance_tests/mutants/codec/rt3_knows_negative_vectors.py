"""A DISHONEST vendor that ships the kit's published negative vectors as a deny-list: any text in
conformance_tests/vectors/qr_text_negative.json is refused with exactly the expected layer, and
everything else goes through its real parser — which upper-cases hex and trims whitespace
("be liberal in what you accept")."""

import datetime as dt
import json
from functools import cache
from pathlib import Path

from ._base import CodecMutant, Outcome

_VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "qr_text_negative.json"


@cache
def _deny_list() -> frozenset[str]:
    data = json.loads(_VECTORS.read_text(encoding="utf-8"))
    return frozenset(t["text"] for g in data["testGroups"] for t in g["tests"] if t["result"] == "invalid")


def _liberal(text: object) -> object:
    if not isinstance(text, str) or text in _deny_list():
        return text
    fixed = text.strip()
    if ":" in fixed:
        head, _, tail = fixed.partition(":")
        fixed = f"{head.upper()}:{tail.upper()}"
    return fixed


class KnowsNegativeVectors(CodecMutant):
    mutant_name = "rt3-knows-negative-vectors"
    description = "refuses exactly the published negative vectors; otherwise upper-cases and trims input"
    defect_class = "alphabet / framing (deny-list of the kit's vectors)"
    catches = ("QR-TEXT-004", "QR-TEXT-006", "QR-TEXT-008")

    def parse(self, text: str) -> Outcome:
        return super().parse(_liberal(text))  # type: ignore[arg-type]

    def open(self, text: str, protect_key: bytes, now: dt.datetime) -> Outcome:
        return super().open(_liberal(text), protect_key, now)  # type: ignore[arg-type]

    def classify(self, text: str) -> Outcome:
        return super().classify(_liberal(text))  # type: ignore[arg-type]


MUTANT = KnowsNegativeVectors
