"""HIS mutant pay-category-not-reported: the payment is right, but the usage report of the 收费 step
keeps the report module's default payment category 0100 (自费) instead of the payment's."""

from __future__ import annotations

from conformance_tests.drivers.reference_his import His


class DefaultCategoryInReport(His):
    def reported_category(self, category: str) -> str:
        return "0100"  # the report template's default cardCostTypes


class MUTANT:
    mutant_name = "pay-category-not-reported"
    description = "reports the paid step with the default category 0100, not the payment's category"
    defect_class = "payment category"
    catches = ("HIS-PAY-002",)
    profile = "hunan-hengyang"

    @staticmethod
    def his_class() -> type[His]:
        return DefaultCategoryInReport
