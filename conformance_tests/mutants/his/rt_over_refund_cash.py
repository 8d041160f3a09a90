"""HIS mutant rt-over-refund-cash: when the node refuses a refund above what is left, the desk
refunds what the node allows and hands out the rest in cash from the till — and answers the whole
refund as made."""

from __future__ import annotations

import uuid

from conformance_tests.drivers.his_payment import PaymentRefused
from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class OverRefundCash(His):
    def send_refund(self, paid: dict, amount_cents: int, reason: str) -> dict:
        try:
            return super().send_refund(paid, amount_cents, reason)
        except PaymentRefused as exc:
            if exc.code != "NODE_SETTLEMENT_REFUND_EXCEEDS":
                raise
        done = sum(
            b["amount_cents"]
            for b in self.books
            if b["kind"] == "refund" and b.get("payment_id") == paid["reference"]
        )
        left = max(0, paid["amount_cents"] - done)
        if left:
            super().send_refund(paid, left, reason)
        cash = amount_cents - left
        ref = "CASHREF-" + uuid.uuid4().hex[:12]
        self.book("refund", ref, order_id=paid.get("order_id", ""), amount_cents=cash,
                  category=paid.get("category", ""), payment_id=paid["reference"])  # fmt: skip
        return {"refund_id": ref, "payment_id": paid["reference"], "amount_cents": amount_cents}


class MUTANT:
    mutant_name = "rt-over-refund-cash"
    description = "an over-refund the node refuses is topped up in cash from the till and claimed as made"
    defect_class = "refunds"
    catches = ("HIS-PAY-003",)
    profile = "shandong-jining"

    @staticmethod
    def his_class() -> type[His]:
        return OverRefundCash
