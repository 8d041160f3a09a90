"""HIS mutant pay-retry-new-checkout: when the payment's answer does not come back, the cashier
starts the checkout again — a new order and a new payment request — so a payment the node did
take is charged a second time."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.his_payment import PaymentRefused
from conformance_tests.drivers.reference_his import His


class NewCheckoutOnRetry(His):
    def open_order(self, who: dict, bill: dict) -> Any:
        self._last_who = who  # the cashier screen still shows the patient
        return super().open_order(who, bill)

    def submit_payment(self, order: Any, bill: dict) -> Any:
        pb = self._pb()
        request = pb.PayRequest(
            request_id="PAY-" + __import__("uuid").uuid4().hex, context=self.client.context(),
            order_id=order.order_id, amount_cents=order.amount_cents, method=bill["method"],
        )  # fmt: skip
        try:
            return self.call_settlement("Pay", request, attempts=1)
        except PaymentRefused as exc:
            if exc.code != "NODE_CLIENT_UNAVAILABLE":
                raise
            # "the payment did not go through": begin again with a fresh order
            return super().submit_payment(super().open_order(self._last_who, bill), bill)


class MUTANT:
    mutant_name = "pay-retry-new-checkout"
    description = (
        "a payment whose answer was lost is paid again under a new order and request id: charged twice"
    )
    defect_class = "payment idempotency"
    catches = ("HIS-PAY-004",)
    profile = "hunan-hengyang"

    @staticmethod
    def his_class() -> type[His]:
        return NewCheckoutOnRetry
