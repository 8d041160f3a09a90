"""The delivered session key lives in a RAM area the vendor's warm reset does not clear."""

from __future__ import annotations

from ._base import PsamMutant


class SessionSurvivesReset(PsamMutant):
    mutant_name = "session-survives-reset"
    description = "the PSAM session key survives a reset: CIPHER DATA works after reset without DELIVER KEY"
    defect_class = "session key lifetime"
    catches = ("PSAM-008",)

    def psam_reset(self) -> None:
        session = self.psam_card.session_key
        super().psam_reset()
        self.psam_card.session_key = session


MUTANT = SessionSurvivesReset
