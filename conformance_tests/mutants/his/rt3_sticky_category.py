"""HIS mutant rt3-sticky-category: the cashier's screen keeps the payment category of the day's
first bill: the first patient is billed right, every later bill of the day goes under that
category whatever the patient chose (and its 收费 use is reported with it)."""

from __future__ import annotations

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class StickyCategory(His):
    def __init__(self) -> None:
        super().__init__()
        self.screen_category: str | None = None

    def settle(self, who: dict, bill: dict) -> dict:
        if self.screen_category is None:
            self.screen_category = bill["category"]
        return super().settle(who, {**bill, "category": self.screen_category})


class MUTANT:
    mutant_name = "rt3-sticky-category"
    description = "every bill after the day's first goes under the first bill's payment category"
    defect_class = "payment category"
    catches = ("HIS-PAY-001", "HIS-PAY-002")
    profile = "zibo"

    @staticmethod
    def his_class() -> type[His]:
        return StickyCategory
