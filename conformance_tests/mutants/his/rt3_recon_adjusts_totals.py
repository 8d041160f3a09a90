"""HIS mutant rt3-recon-adjusts-totals: the day-end sends the HIS's own list first; when the node
finds mismatches, the cashier "corrects" the mismatched lines to the node's figures, sends the list
again and shows only that second, clean result."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class ReconAdjustsTotals(His):
    def reconcile(self, day: str, entries: list[Any]) -> Any:
        first = super().reconcile(day, entries)
        if not first.mismatches:
            return first
        pb = self._pb()
        bad = {m.reference for m in first.mismatches}
        kept = [e for e in entries if e.reference not in bad]
        # the node's own lines for the mismatched references (what the screen showed as "expected")
        node = self.client.settlement.GetLedger(pb.LedgerRequest(date=day, context=self.client.context()))
        kept += [e for e in node.entries if e.reference in bad]
        return super().reconcile(day, kept)


class MUTANT:
    mutant_name = "rt3-recon-adjusts-totals"
    description = "day-end mismatches hidden: mismatched lines replaced with the node's and the list resent"
    defect_class = "reconciliation"
    catches = ("HIS-PAY-006",)
    profile = "zibo"

    @staticmethod
    def his_class() -> type[His]:
        return ReconAdjustsTotals
