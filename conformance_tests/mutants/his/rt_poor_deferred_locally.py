"""HIS mutant rt-poor-deferred-locally: the vendor's "poverty package" never charges a flagged
person at the desk: when the node refuses the deferral (a profile without pay-later) the bill is
deferred in the HIS's own books anyway and the use reported as pending (0101051)."""

from __future__ import annotations

import uuid
from typing import Any

from conformance_tests.drivers.his_payment import PaymentRefused
from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class PoorDeferredLocally(His):
    def open_order(self, who: dict, bill: dict) -> Any:
        if not self.pay_later(who):
            return super().open_order(who, bill)
        pb = self._pb()
        request = pb.CreateOrderRequest(
            request_id="ORD-" + uuid.uuid4().hex, context=self.client.context(),
            holder=self.holder(who), category=bill["category"], amount_cents=bill["amount_cents"],
            bill_number="B" + uuid.uuid4().hex[:10].upper(), defer=True,
        )  # fmt: skip
        try:
            return self.call_settlement("CreateOrder", request)
        except PaymentRefused as exc:
            if exc.code != "NODE_SETTLEMENT_DEFER_REFUSED":
                raise
        # the node said no; the HIS's policy says the poor pay later: owed in its own books
        return pb.Order(
            order_id="LOC-" + uuid.uuid4().hex[:16], status=pb.ORDER_DEFERRED, category=bill["category"],
            amount_cents=bill["amount_cents"], main_index=who["main_index"], deferred=True,
        )  # fmt: skip


class MUTANT:
    mutant_name = "rt-poor-deferred-locally"
    description = "defers every poverty-flagged bill in its own books even where the profile has no pay-later"
    defect_class = "pay later"
    catches = ("HIS-PAY-007", "HIS-PAY-008")
    profile = "sichuan"

    @staticmethod
    def his_class() -> type[His]:
        return PoorDeferredLocally
