"""On a wrong Le the card answers 6Cxx with the Le it was sent instead of the length it has, so a
terminal that re-issues the command with Le = xx loops or reads the wrong length."""

from __future__ import annotations

from ._base import RewritingCard


class Le6CxxEcho(RewritingCard):
    mutant_name = "le-6cxx-echo"
    description = "6Cxx carries the Le the terminal sent, not the exact length available"
    defect_class = "Le handling"
    catches = ("CARD-APDU-006",)

    def rewrite(self, apdu: bytes, response: bytes) -> bytes:
        if len(response) == 2 and response[0] == 0x6C and len(apdu) == 5:
            return bytes([0x6C, apdu[4]])
        return response


MUTANT = Le6CxxEcho
