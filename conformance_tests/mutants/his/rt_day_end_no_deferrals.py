"""HIS mutant rt-day-end-no-deferrals: the day-end export is the cash office's — money lines only:
the day's deferred bills (先诊疗后付费) are left out of the list sent to the node."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class DayEndNoDeferrals(His):
    def day_list(self, day: str) -> list[Any]:
        return [e for e in super().day_list(day) if e.kind != "deferred"]


class MUTANT:
    mutant_name = "rt-day-end-no-deferrals"
    description = "leaves the day's deferred bills out of its day-end list (payments and refunds only)"
    defect_class = "reconciliation"
    catches = ("HIS-PAY-006",)
    profile = "hunan-hengyang"

    @staticmethod
    def his_class() -> type[His]:
        return DayEndNoDeferrals
