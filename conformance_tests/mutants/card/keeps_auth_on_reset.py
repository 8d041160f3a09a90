"""A warm reset only restarts the command loop: the security state in RAM survives it."""

from __future__ import annotations

from ._base import CardMutant


class KeepsAuthOnReset(CardMutant):
    mutant_name = "keeps-auth-on-reset"
    description = "a card reset does not clear the security state (warm reset ignored)"
    defect_class = "security state lifetime"
    catches = ("CARD-AUTH-006",)

    def reset(self) -> None:
        security = set(self.card.security)
        super().reset()
        self.card.security = security


MUTANT = KeepsAuthOnReset
