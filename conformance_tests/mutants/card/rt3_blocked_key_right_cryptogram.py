"""A retry counter that only throttles guesses: once a key is blocked (tries 0) every WRONG
cryptogram answers 6983, but the RIGHT one still authenticates. A lab that blocks the key and
then checks that wrong cryptograms answer 6983 sees a blocked key; a stolen terminal (or a PSAM
that holds the key) keeps reading a card the issuer meant to be dead."""

from __future__ import annotations

from typing import Any

from card_emulators.engine import commands, scheme
from card_emulators.engine.apdu import SW, StatusError
from card_emulators.engine.security import key_tries, key_value

from ._base import CardMutant


def _external_authenticate(card: Any, cmd: Any) -> bytes:
    found = card.current_df.find_key(cmd.p2) if len(cmd.data) == 17 and cmd.p1 == 0 else None
    if found is None or found[1].usage != "ext" or key_tries(card, found[1]) != 0:
        return commands.external_authenticate(card, cmd)
    df, key = found
    challenge, card.challenge = card.challenge, None
    if challenge is None:
        raise StatusError(SW.CONDITIONS)
    expected = scheme.auth_cryptogram(key_value(card, key), challenge, cmd.data[8:16])
    if cmd.data[:8] != expected:
        raise StatusError(SW.AUTH_BLOCKED)
    card.security.add((df.path, "auth", key.ref))
    return b""


class BlockedKeyRightCryptogram(CardMutant):
    mutant_name = "rt3-blocked-key-right-cryptogram"
    description = "a blocked key answers 6983 to wrong cryptograms but still accepts the right one"
    defect_class = "retry counters"
    catches = ("CARD-AUTH-005",)

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.replace_handler(0x82, _external_authenticate)


MUTANT = BlockedKeyRightCryptogram
