"""A wrong PSAM PIN answers 63Cx but the counter is never written back: the PIN can be guessed
without limit."""

from __future__ import annotations

from typing import Any

from ._base import PsamMutant


def _verify(card: Any, cmd: Any) -> bytes:
    from card_emulators.engine import commands
    from card_emulators.engine.security import set_pin

    pin = card.mf.pins[0x00]
    try:
        return commands.verify(card, cmd)
    finally:
        set_pin(card, pin, pin_tries=pin.max_tries)


class PinNoRetryCounter(PsamMutant):
    mutant_name = "pin-no-retry-counter"
    description = "wrong PSAM PINs never decrement the retry counter"
    defect_class = "retry counter"
    catches = ("PSAM-002", "PSAM-009")

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.replace_psam_handler(0x20, _verify)


MUTANT = PinNoRetryCounter
