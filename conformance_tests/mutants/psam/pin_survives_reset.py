"""VERIFY PIN sets a flag the warm reset does not clear: a PSAM left in a terminal stays unlocked."""

from __future__ import annotations

from ._base import PsamMutant


class PinSurvivesReset(PsamMutant):
    mutant_name = "pin-survives-reset"
    description = "the PSAM's verified-PIN state survives a reset"
    defect_class = "PIN enforcement"
    catches = ("PSAM-009",)

    def psam_reset(self) -> None:
        pins = {cred for cred in self.psam_card.security if cred[1] == "pin"}
        super().psam_reset()
        self.psam_card.security |= pins


MUTANT = PinSurvivesReset
