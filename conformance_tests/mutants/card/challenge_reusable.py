"""The challenge stays valid until the next GET CHALLENGE: EXTERNAL AUTHENTICATE does not consume it,
so a recorded authentication APDU can be replayed as long as nobody asks for a new challenge."""

from __future__ import annotations

from typing import Any

from ._base import CardMutant


def _external_authenticate(card: Any, cmd: Any) -> bytes:
    from card_emulators.engine import commands

    challenge = card.challenge
    try:
        return commands.external_authenticate(card, cmd)
    finally:
        card.challenge = challenge


class ReusableChallenge(CardMutant):
    mutant_name = "challenge-reusable"
    description = (
        "a challenge is not consumed by EXTERNAL AUTHENTICATE: the same cryptogram authenticates twice"
    )
    defect_class = "challenge replay"
    catches = ("CARD-AUTH-003",)

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.replace_handler(0x82, _external_authenticate)


MUTANT = ReusableChallenge
