"""The card's RNG is seeded at power-up from a constant (the entropy source comes up after the
first command): the first GET CHALLENGE after every reset is the same 8 bytes, the next ones are
random. 64 challenges in one session look perfect; a recorded EXTERNAL AUTHENTICATE made on the
first challenge after a reset can be replayed after any later reset."""

from __future__ import annotations

from typing import Any

from ehc.gm import random_bytes, sm3

from ._base import CardMutant

BOOT_CHALLENGE = sm3(b"rng seed of the vendor's boot code")[:8]


class BootChallengeConstant(CardMutant):
    mutant_name = "rt3-boot-challenge-constant"
    description = "the first GET CHALLENGE after each power-up is always the same value"
    defect_class = "challenge"
    catches = ("CARD-APDU-004", "CARD-AUTH-003")

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        state = {"fresh_boot": True}
        card = self.card
        reset_volatile = card._reset_volatile

        def after_power_cycle() -> None:
            reset_volatile()
            state["fresh_boot"] = True

        def rng(n: int) -> bytes:
            if state["fresh_boot"]:
                state["fresh_boot"] = False
                return BOOT_CHALLENGE[:n]
            return random_bytes(n)

        card._reset_volatile = after_power_cycle  # type: ignore[method-assign]
        card.random = rng  # type: ignore[method-assign]


MUTANT = BootChallengeConstant
