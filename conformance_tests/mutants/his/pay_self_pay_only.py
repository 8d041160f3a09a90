"""HIS mutant pay-self-pay-only: the cashier's settlement interface was written for self-pay
patients: every order goes to the settlement as 自费 (0100), whatever category the patient chose
(insurance 0200, public-funded 0300, other 0000)."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_his import His


class SelfPayOnly(His):
    def open_order(self, who: dict, bill: dict) -> Any:
        return super().open_order(who, {**bill, "category": "0100"})


class MUTANT:
    mutant_name = "pay-self-pay-only"
    description = "sends every bill to the settlement as self-pay (0100), whatever the chosen category"
    defect_class = "payment category"
    catches = ("HIS-PAY-001",)
    profile = "hunan-hengyang"

    @staticmethod
    def his_class() -> type[His]:
        return SelfPayOnly
