"""HIS mutant rt-refused-card-receipt: a payment the node refuses because the card is stopped is
taken as "pending" (the bank may confirm later): the receipt is printed, the bill booked and the 收费
use reported as pending (0101051) — while the desk's answer still says refused."""

from __future__ import annotations

import uuid

from conformance_tests.drivers.his_payment import DEFERRED_SCENE
from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class RefusedCardReceipt(His):
    def settle(self, who: dict, bill: dict) -> dict:
        out = super().settle(who, bill)
        if (
            out.get("status") == "refused"
            and out.get("error", {}).get("code") == "NODE_SETTLEMENT_CARD_REFUSED"
        ):
            self.book("payment", "PEND-" + uuid.uuid4().hex[:12], amount_cents=bill["amount_cents"],
                      category=bill["category"])  # fmt: skip
            self.report_paid_step(who, DEFERRED_SCENE, bill["category"])
        return out


class MUTANT:
    mutant_name = "rt-refused-card-receipt"
    description = "a stopped card's payment is 'pending': booked, receipt printed, 收费 use reported as 待缴"
    defect_class = "card status"
    catches = ("HIS-PAY-005",)
    profile = "shandong-jining"

    @staticmethod
    def his_class() -> type[His]:
        return RefusedCardReceipt
