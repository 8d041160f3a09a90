"""HIS mutant rt-duplicate-restarts-checkout: retries a lost Pay with the same request id (as the
docs say) but takes the node's ``duplicate = true`` answer for "order busy" and restarts the checkout
with a new order — the card is charged twice."""

from __future__ import annotations

import uuid
from typing import Any

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class DuplicateRestartsCheckout(His):
    def __init__(self) -> None:
        super().__init__()
        self.order_holder: Any = None

    def submit_payment(self, order: Any, bill: dict) -> Any:
        payment = super().submit_payment(order, bill)
        if not payment.duplicate:
            return payment
        pb = self._pb()
        fresh = self.call_settlement(
            "CreateOrder",
            pb.CreateOrderRequest(
                request_id="ORD-" + uuid.uuid4().hex, context=self.client.context(),
                holder=self.order_holder, category=order.category, amount_cents=order.amount_cents,
            ),
        )  # fmt: skip
        return super().submit_payment(fresh, bill)

    def open_order(self, who: dict, bill: dict) -> Any:
        self.order_holder = self.holder(who)
        return super().open_order(who, bill)


class MUTANT:
    mutant_name = "rt-duplicate-restarts-checkout"
    description = (
        "takes a duplicate answer to a retried Pay for 'order busy' and pays a new order: charged twice"
    )
    defect_class = "double charge"
    catches = ("HIS-PAY-004",)
    profile = "shandong-jining"

    @staticmethod
    def his_class() -> type[His]:
        return DuplicateRestartsCheckout
