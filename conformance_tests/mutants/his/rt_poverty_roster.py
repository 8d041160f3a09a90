"""HIS mutant rt-poverty-roster: the pay-later decision comes from the HIS's own poverty roster,
filled with the flag the node answered at a patient's first visit — a person flagged (or unflagged)
at the node since then is billed as before."""

from __future__ import annotations

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class PovertyRoster(His):
    def __init__(self) -> None:
        super().__init__()
        self.roster: dict[str, bool] = {}  # main index -> flag when first seen

    def defer_bill(self, who: dict) -> bool:
        flagged = self.roster.setdefault(who["main_index"], bool(who.get("poverty")))
        return flagged


class MUTANT:
    mutant_name = "rt-poverty-roster"
    description = (
        "defers bills by its own poverty roster (the flag at the first visit), not the node's current flag"
    )
    defect_class = "pay later"
    catches = ("HIS-PAY-007",)
    profile = "hunan-hengyang"

    @staticmethod
    def his_class() -> type[His]:
        return PovertyRoster
