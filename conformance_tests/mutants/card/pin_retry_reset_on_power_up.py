"""The PIN try counter lives in RAM, initialised from the PIN record at power-up: pulling the card
after each wrong PIN gives unlimited guesses."""

from __future__ import annotations

from ._base import CardMutant


class PinRetryResetOnPowerUp(CardMutant):
    mutant_name = "pin-retry-reset-on-power-up"
    description = "the user PIN retry counter is restored to the maximum at each reset"
    defect_class = "retry counter"
    catches = ("CARD-AUTH-008",)

    def reset(self) -> None:
        super().reset()
        from card_emulators.engine.security import set_pin

        pin = self.card.mf.pins[0x00]
        set_pin(self.card, pin, pin_tries=pin.max_tries)


MUTANT = PinRetryResetOnPowerUp
