"""A PSAM that compares the PIN over the digits the terminal sent: a PIN block shorter than the
stored PIN is checked as a prefix ("123456" is opened by "1234"), so an attacker with the PSAM
needs 10^4 guesses, not 10^6. Wrong PINs of the stored length answer 63Cx as they should."""

from __future__ import annotations

from typing import Any

from card_emulators.engine.apdu import Command
from card_emulators.engine.commands import verify
from card_emulators.engine.security import pin_state

from ._base import PsamMutant


def _verify(card: Any, cmd: Any) -> bytes:
    found = card.current_df.find_pin(cmd.p2) if cmd.p1 == 0 and cmd.data else None
    if found is not None:
        stored = pin_state(card, found[1])[1].hex().upper().rstrip("F")
        given = cmd.data.hex().upper().rstrip("F")
        if len(given) >= 4 and given.isdigit() and stored.startswith(given):
            full = bytes.fromhex(stored + "F" * (len(stored) % 2))
            cmd = Command(cmd.cla, cmd.ins, cmd.p1, cmd.p2, full, cmd.le, cmd.lc_present)
    return verify(card, cmd)


class PinPrefixCompare(PsamMutant):
    mutant_name = "rt3-pin-prefix-compare"
    description = "VERIFY PIN compares only the digits sent: a 4-digit prefix of the PIN opens the PSAM"
    defect_class = "PIN enforcement"
    catches = ("PSAM-002",)

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.replace_psam_handler(0x20, _verify)


MUTANT = PinPrefixCompare
