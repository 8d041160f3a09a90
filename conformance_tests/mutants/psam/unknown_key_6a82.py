"""DELIVER KEY for a key index the PSAM does not hold answers 6A82 (the vendor looks keys up as
files) instead of 6A88 (referenced data not found)."""

from __future__ import annotations

from ._base import RewritingPsam


class UnknownKeyAs6A82(RewritingPsam):
    mutant_name = "unknown-key-6a82"
    description = "DELIVER KEY with an unknown key index answers 6A82 instead of 6A88"
    defect_class = "status word family"
    catches = ("PSAM-007",)

    def rewrite(self, apdu: bytes, response: bytes) -> bytes:
        if apdu[:2] == b"\x80\xde" and response[-2:] == b"\x6a\x88":
            return response[:-2] + b"\x6a\x82"
        return response


MUTANT = UnknownKeyAs6A82
