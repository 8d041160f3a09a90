"""CIPHER DATA with no DELIVER KEY uses the first master key of DF01 instead of refusing: a terminal
(or an attacker with the PSAM) can encrypt under an undiversified master key."""

from __future__ import annotations

from typing import Any

from ._base import PsamMutant


def _cipher(card: Any, cmd: Any) -> bytes:
    from card_emulators.engine.security import key_value
    from card_emulators.personalities.psam import cipher_data

    if card.session_key is None:
        df01 = card.mf.children[0xDF01]
        first = df01.keys[min(df01.keys)]
        card.session_key = key_value(card, first)
        try:
            return cipher_data(card, cmd)
        finally:
            card.session_key = None
    return cipher_data(card, cmd)


class CipherWithoutDeliverKey(PsamMutant):
    mutant_name = "cipher-without-deliver-key"
    description = "CIPHER DATA works before DELIVER KEY (falls back to an undiversified master key)"
    defect_class = "session key lifetime"
    catches = ("PSAM-008",)

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.replace_psam_handler(0xFA, _cipher)


MUTANT = CipherWithoutDeliverKey
