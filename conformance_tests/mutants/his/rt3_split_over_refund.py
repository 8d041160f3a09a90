"""HIS mutant rt3-split-over-refund: checks each refund against the payment alone, not against what
was already refunded; when the node refuses the second partial refund as too much, the HIS refunds
what is left at the node and tells the cashier the whole amount was refunded."""

from __future__ import annotations

from conformance_tests.drivers.his_payment import PaymentRefused
from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class SplitOverRefund(His):
    def send_refund(self, paid: dict, amount_cents: int, reason: str) -> dict:
        before = sum(
            b["amount_cents"]
            for b in self.books
            if b["kind"] == "refund" and b.get("payment_id") == paid["reference"]
        )
        if amount_cents > paid["amount_cents"] or before == 0:
            return super().send_refund(paid, amount_cents, reason)
        try:
            return super().send_refund(paid, amount_cents, reason)
        except PaymentRefused:
            left = paid["amount_cents"] - before
            if left <= 0:
                raise
            out = super().send_refund(paid, left, reason)
            self.books[-1]["amount_cents"] = amount_cents  # the cashier's books say what was asked
            return {**out, "amount_cents": amount_cents}


class MUTANT:
    mutant_name = "rt3-split-over-refund"
    description = (
        "a second partial refund beyond what is left: the rest refunded at the node, the full amount claimed"
    )
    defect_class = "refunds"
    catches = ("HIS-PAY-003",)
    profile = "zibo"

    @staticmethod
    def his_class() -> type[His]:
        return SplitOverRefund
