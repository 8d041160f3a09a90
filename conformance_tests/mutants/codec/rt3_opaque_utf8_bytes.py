"""A vendor whose scanner buffer is 256 bytes: the opaque-token limit is counted in UTF-8 bytes,
so a local EMPI token of 100 Chinese characters (300 bytes) is refused at the terminal instead
of being handed to the node. ASCII tokens behave exactly as required."""

from ehc.errors import EhcError
from qr_codec.errors import OPAQUE_TOO_LONG

from ._base import CodecMutant, Outcome


class OpaqueUtf8Bytes(CodecMutant):
    mutant_name = "rt3-opaque-utf8-bytes"
    description = "opaque-token limit counted in UTF-8 bytes: long Chinese tokens refused locally"
    defect_class = "opaque tokens"
    catches = ("QR-TEXT-011",)

    def classify(self, text: str) -> Outcome:
        out = super().classify(text)
        if out.accepted and out.kind == "opaque" and len(text.encode("utf-8")) > self.opaque_max:

            def refuse() -> None:
                raise EhcError(OPAQUE_TOO_LONG, f"token is longer than {self.opaque_max} bytes")

            return self._outcome("classify", {"text": text}, refuse)
        return out


MUTANT = OpaqueUtf8Bytes
