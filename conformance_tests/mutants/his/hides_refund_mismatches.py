"""HIS mutant hides-refund-mismatches: the day-end screen was built for payments: it reconciles
honestly but shows only payment mismatches, so a refund the HIS never booked (or booked wrongly)
goes unreported."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_his import His


class HidesRefundMismatches(His):
    def mismatches_shown(self, report: Any) -> dict:
        shown = super().mismatches_shown(report)
        shown["mismatches"] = [m for m in shown["mismatches"] if m["entry_kind"] == "payment"]
        return shown


class MUTANT:
    mutant_name = "hides-refund-mismatches"
    description = "day-end report shows payment mismatches only; refund mismatches are dropped"
    defect_class = "reconciliation"
    catches = ("HIS-PAY-006",)
    profile = "hunan-hengyang"

    @staticmethod
    def his_class() -> type[His]:
        return HidesRefundMismatches
