"""GET CHALLENGE from a constant "random" buffer (the vendor's RNG was stubbed for a test build)."""

from __future__ import annotations

from typing import Any

from ._base import CardMutant


class FixedChallenge(CardMutant):
    mutant_name = "fixed-challenge"
    description = "GET CHALLENGE always returns the same 8 bytes"
    defect_class = "challenge freshness"
    catches = ("CARD-APDU-004",)

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        # the defect is this one card's random source; the card class stays the reference's
        self.card.random = lambda n: bytes(range(1, n + 1))  # type: ignore[method-assign]


MUTANT = FixedChallenge
