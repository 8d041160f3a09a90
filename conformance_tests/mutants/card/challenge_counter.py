"""GET CHALLENGE = chip serial (6 bytes) + a 16-bit counter: every answer differs, none is random."""

from __future__ import annotations

import itertools
from typing import Any

from ._base import CardMutant


class CounterChallenge(CardMutant):
    mutant_name = "challenge-counter"
    description = "GET CHALLENGE answers differ but are a serial number plus an incrementing counter"
    defect_class = "challenge freshness"
    catches = ("CARD-APDU-004",)

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        counter = itertools.count(0x1234)
        serial = self.card.card_number[2:8]
        # the defect is this one card's random source; the card class stays the reference's
        self.card.random = lambda n: (serial + (next(counter) & 0xFFFF).to_bytes(2, "big"))[-n:]  # type: ignore[method-assign]


MUTANT = CounterChallenge
