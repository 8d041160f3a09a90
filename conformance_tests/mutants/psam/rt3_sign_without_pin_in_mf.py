"""A PSAM whose PIN check reads the security status of the DF01 application only: in DF01 every
PIN-guarded service answers 6982 before VERIFY PIN, exactly as the lab checks; at the MF (right
after SELECT 3F00, before the PIN) the SM2 sign-hash service signs whatever digest it is sent."""

from __future__ import annotations

from typing import Any

from card_emulators.personalities.psam import perform_security_operation

from ._base import PsamMutant


def _pso(card: Any, cmd: Any) -> bytes:
    if cmd.p1p2 == 0x9E9A and card.current_df is card.mf:
        saved = set(card.security)
        card.security.add((card.mf.path, "pin", 0x00))  # "no application selected: nothing to guard"
        try:
            return perform_security_operation(card, cmd)
        finally:
            card.security = saved
    return perform_security_operation(card, cmd)


class SignWithoutPinInMf(PsamMutant):
    mutant_name = "rt3-sign-without-pin-in-mf"
    description = "SM2 sign-hash refused before VERIFY PIN in DF01, but served at the MF without the PIN"
    defect_class = "PIN enforcement"
    catches = ("PSAM-006",)

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.replace_psam_handler(0x2A, _pso)


MUTANT = SignWithoutPinInMf
