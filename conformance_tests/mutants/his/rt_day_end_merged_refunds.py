"""HIS mutant rt-day-end-merged-refunds: the HIS's books keep one refund line per payment — a second
refund of the same payment is added to the first line — so the day-end list shows one refund with
the sum under the first refund's id."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class DayEndMergedRefunds(His):
    def day_list(self, day: str) -> list[Any]:
        out: list[Any] = []
        first: dict[str, Any] = {}  # payment id -> its refund line
        for e in super().day_list(day):
            if e.kind == "refund" and e.payment_id in first:
                first[e.payment_id].amount_cents += e.amount_cents
                continue
            if e.kind == "refund":
                first[e.payment_id] = e
            out.append(e)
        return out


class MUTANT:
    mutant_name = "rt-day-end-merged-refunds"
    description = "day-end list merges the refunds of one payment into one line (the sum under the first id)"
    defect_class = "reconciliation"
    catches = ("HIS-PAY-006",)
    profile = "zibo"

    @staticmethod
    def his_class() -> type[His]:
        return DayEndMergedRefunds
