"""Shared base of the codec mutants: the reference adapter with the mutant's identity in info()."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ...adapters.codec import Outcome, ReferenceCodec

CST = dt.timezone(dt.timedelta(hours=8))

__all__ = ["CST", "CodecMutant", "Outcome", "re"]


class CodecMutant(ReferenceCodec):
    mutant_name = ""
    description = ""
    defect_class = ""
    catches: tuple[str, ...] = ()
    profile = "national"

    def info(self) -> dict[str, Any]:
        return {**super().info(), "adapter": f"codec:mutant:{self.mutant_name}", "mutant": self.description}

    def _vendor_parse(self, method: str, text: str, pattern: re.Pattern[str]) -> Outcome:
        """Parse as many vendors do: one regex, groups taken as they come."""

        def run() -> Any:
            from ehc.errors import EhcError
            from qr_codec import text as qr_text
            from qr_codec.errors import QR_BAD_ALPHABET

            m = pattern.fullmatch(text) if isinstance(text, str) else None
            if m is None:
                raise EhcError(QR_BAD_ALPHABET, "not an e-card code")
            ehcid, kind, v = m.group(1), m.group(2), m.group(3)
            if (kind == "1") == (v is not None):  # the vendor does check the fields per type
                raise EhcError(QR_BAD_ALPHABET, "fields do not match the code type")
            return qr_text.QrCode("static" if kind == "1" else "dynamic", ehcid, v, None, text)

        return self._outcome(method, {"text": text}, run)
