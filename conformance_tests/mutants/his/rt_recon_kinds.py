"""HIS mutant rt-recon-kinds: the day-end screen knows only 短款 / 长款 / 金额不符 (missing, extra,
amount): it shows as many mismatches as the node found, but a refund or category difference is
shown as another kind."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]

SCREEN_KINDS = {
    "missing": "missing",
    "extra": "extra",
    "amount": "amount",
    "category": "amount",
    "refund": "missing",
}


class ReconKinds(His):
    def mismatches_shown(self, report: Any) -> dict:
        shown = super().mismatches_shown(report)
        for m in shown["mismatches"]:
            m["kind"] = SCREEN_KINDS.get(m["kind"], "amount")
        return shown


class MUTANT:
    mutant_name = "rt-recon-kinds"
    description = "day-end shows the right number of mismatches but refund/category ones under another kind"
    defect_class = "reconciliation"
    catches = ("HIS-PAY-006",)
    profile = "zibo"

    @staticmethod
    def his_class() -> type[His]:
        return ReconKinds
