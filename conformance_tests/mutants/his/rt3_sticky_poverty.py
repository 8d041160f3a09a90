"""HIS mutant rt3-sticky-poverty: once the node has flagged a patient poverty-relief, the HIS keeps
them on its pay-later list for good: a person the county took off the roster is still treated first
and billed later by the HIS (the node's current answer is read, but only to add people)."""

from __future__ import annotations

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class StickyPoverty(His):
    def __init__(self) -> None:
        super().__init__()
        self.ever_flagged: set[str] = set()

    def pay_later(self, who: dict) -> bool:
        if who["poverty"]:
            self.ever_flagged.add(who["main_index"])
        return bool(who["poverty"]) or who["main_index"] in self.ever_flagged


class MUTANT:
    mutant_name = "rt3-sticky-poverty"
    description = "a patient taken off the poverty-relief roster at the node is still marked pay-later"
    defect_class = "poverty flag"
    catches = ("HIS-013",)
    profile = "hunan-hengyang"

    @staticmethod
    def his_class() -> type[His]:
        return StickyPoverty
