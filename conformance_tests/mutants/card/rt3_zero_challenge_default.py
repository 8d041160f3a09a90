"""A card OS whose challenge buffer is zeroed, not invalidated: EXTERNAL AUTHENTICATE without a
fresh GET CHALLENGE is checked against the challenge 00x8. A wrong cryptogram there still answers
6985 as if no challenge were pending; the right cryptogram over the zero challenge opens the card —
one recorded authentication replays for ever, with no GET CHALLENGE at all."""

from __future__ import annotations

from typing import Any

from card_emulators.engine import commands, scheme
from card_emulators.engine.apdu import SW, StatusError
from card_emulators.engine.security import key_tries, key_value

from ._base import CardMutant

ZERO = bytes(8)


def _external_authenticate(card: Any, cmd: Any) -> bytes:
    if card.challenge is not None or len(cmd.data) != 17 or cmd.p1 != 0:
        return commands.external_authenticate(card, cmd)
    found = card.current_df.find_key(cmd.p2)
    if found is None or found[1].usage != "ext" or key_tries(card, found[1]) == 0:
        return commands.external_authenticate(card, cmd)
    df, key = found
    if cmd.data[:8] != scheme.auth_cryptogram(key_value(card, key), ZERO, cmd.data[8:16]):
        raise StatusError(SW.CONDITIONS)  # "no challenge", as the reference answers
    card.security.add((df.path, "auth", key.ref))
    return b""


class ZeroChallengeDefault(CardMutant):
    mutant_name = "rt3-zero-challenge-default"
    description = "EXTERNAL AUTHENTICATE without GET CHALLENGE is checked against a zero challenge"
    defect_class = "challenge"
    catches = ("CARD-AUTH-004", "CARD-AUTH-003")

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.replace_handler(0x82, _external_authenticate)


MUTANT = ZeroChallengeDefault
