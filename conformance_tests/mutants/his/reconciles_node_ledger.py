"""HIS mutant reconciles-node-ledger: the day-end "reconciliation" downloads the node's ledger and
submits it back as the HIS's own list, so it always balances: nothing the HIS failed to book, or
booked wrongly, ever shows."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_his import His


class ReconcilesNodeLedger(His):
    def day_list(self, day: str) -> list[Any]:
        pb = self._pb()
        ledger = self.call_settlement("GetLedger", pb.LedgerRequest(date=day, context=self.client.context()))
        return list(ledger.entries)


class MUTANT:
    mutant_name = "reconciles-node-ledger"
    description = "submits the node's own ledger as its day-end list: every mismatch disappears"
    defect_class = "reconciliation"
    catches = ("HIS-PAY-006",)
    profile = "hunan-hengyang"

    @staticmethod
    def his_class() -> type[His]:
        return ReconcilesNodeLedger
