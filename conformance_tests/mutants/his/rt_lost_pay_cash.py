"""HIS mutant rt-lost-pay-cash: a Pay that gets no answer (network error, timeout) is taken as a
failed card payment and the patient pays cash at the desk — booked in the HIS only, while the node
may well have charged the card."""

from __future__ import annotations

import uuid
from typing import Any

from conformance_tests.drivers.his_payment import PaymentRefused
from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class LostPayCash(His):
    def submit_payment(self, order: Any, bill: dict) -> Any:
        pb = self._pb()
        request = pb.PayRequest(
            request_id="PAY-" + uuid.uuid4().hex, context=self.client.context(),
            order_id=order.order_id, amount_cents=order.amount_cents, method=bill["method"],
        )  # fmt: skip
        try:
            return self.call_settlement("Pay", request, attempts=1)
        except PaymentRefused as exc:
            if exc.code.startswith("NODE_"):
                raise  # a real refusal
        # "the card failed": cash at the desk, booked by the HIS itself
        return pb.Payment(
            payment_id="CASH-" + uuid.uuid4().hex[:12], order_id=order.order_id,
            amount_cents=order.amount_cents, category=order.category, method="cash",
        )  # fmt: skip


class MUTANT:
    mutant_name = "rt-lost-pay-cash"
    description = "a Pay without an answer becomes a cash payment booked only in the HIS (card charged too)"
    defect_class = "double charge"
    catches = ("HIS-PAY-004",)
    profile = "zibo"

    @staticmethod
    def his_class() -> type[His]:
        return LostPayCash
