import re
from typing import Any

from ._base import CodecMutant, Outcome

PATTERN = re.compile(r"([0-9A-F]{64}):([0-9A-Za-z])(?::([0-9A-F]{32}))?")


class TypeByFieldCount(CodecMutant):
    mutant_name = "type-by-field-count"
    description = "decides static/dynamic from the number of fields and never checks the type digit"
    defect_class = "type field"
    catches = ("QR-TEXT-003",)

    def parse(self, text: str) -> Outcome:
        def run() -> Any:
            from ehc.errors import EhcError
            from qr_codec import text as qr_text
            from qr_codec.errors import QR_BAD_ALPHABET

            m = PATTERN.fullmatch(text) if isinstance(text, str) else None
            if m is None:
                raise EhcError(QR_BAD_ALPHABET, "not an e-card code")
            kind = "static" if m.group(3) is None else "dynamic"
            return qr_text.QrCode(kind, m.group(1), m.group(3), None, text)

        return self._outcome("parse", {"text": text}, run)


MUTANT = TypeByFieldCount
