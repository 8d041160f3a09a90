"""The dispatcher answers "class not supported" for every command it does not know."""

from __future__ import annotations

from ._base import RewritingCard


class UnknownInsAs6E00(RewritingCard):
    mutant_name = "unknown-ins-6e00"
    description = "answers 6E00 (class not supported) instead of 6D00 for an unknown INS"
    defect_class = "status word family"
    catches = ("CARD-APDU-005",)

    def rewrite(self, apdu: bytes, response: bytes) -> bytes:
        return response[:-2] + b"\x6e\x00" if response[-2:] == b"\x6d\x00" else response


MUTANT = UnknownInsAs6E00
