"""HIS mutant charges-the-poor: the registration desk flags poverty-relief patients (treat first,
pay later), but the cashier module was never told: it charges their bills in the consulting room."""

from __future__ import annotations

from conformance_tests.drivers.reference_his import His


class ChargesThePoor(His):
    def defer_bill(self, who: dict) -> bool:
        return False


class MUTANT:
    mutant_name = "charges-the-poor"
    description = "charges a poverty-relief patient's bill instead of deferring it (先诊疗后付费)"
    defect_class = "treat first, pay later"
    catches = ("HIS-PAY-007",)
    profile = "hunan-hengyang"

    @staticmethod
    def his_class() -> type[His]:
        return ChargesThePoor
