"""A PSAM that never bricks itself in the field: a wrong PIN counts down 63C2, 63C1 as the lab
expects, then stays at 63C1 for ever, so the PIN can be guessed without limit by whoever holds
the terminal; the right PIN always opens it."""

from __future__ import annotations

from typing import Any

from card_emulators.engine.commands import verify
from card_emulators.engine.security import pin_state, set_pin

from ._base import PsamMutant


def _verify(card: Any, cmd: Any) -> bytes:
    found = card.current_df.find_pin(cmd.p2) if cmd.p1 == 0 else None
    if found is not None and pin_state(card, found[1])[0] < 2:
        set_pin(card, found[1], pin_tries=2)  # "keep one try for the technician"
    return verify(card, cmd)


class PinNeverBlocks(PsamMutant):
    mutant_name = "rt3-pin-never-blocks"
    description = "the PSAM PIN retry counter stops at 1: the PIN is never blocked"
    defect_class = "PIN retry counter"
    catches = ("PSAM-011",)

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.replace_psam_handler(0x20, _verify)


MUTANT = PinNeverBlocks
