"""A wrong PSAM PIN answers 6300 ("authentication failed") without the remaining tries: the terminal
cannot warn the operator before the last try blocks the PSAM."""

from __future__ import annotations

from ._base import RewritingPsam


class PinWrongAs6300(RewritingPsam):
    mutant_name = "pin-wrong-6300"
    description = "a wrong PSAM PIN answers 6300 instead of 63Cx (remaining tries not reported)"
    defect_class = "status word family"
    catches = ("PSAM-002", "PSAM-009")

    def rewrite(self, apdu: bytes, response: bytes) -> bytes:
        if len(apdu) > 1 and apdu[1] == 0x20 and response[-2] == 0x63 and response[-1] & 0xF0 == 0xC0:
            return response[:-2] + b"\x63\x00"
        return response


MUTANT = PinWrongAs6300
