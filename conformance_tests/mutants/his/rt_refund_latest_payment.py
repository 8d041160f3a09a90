"""HIS mutant rt-refund-latest-payment: the refund screen refunds the patient's latest payment, not
the payment the cashier picked — the refund is not traced to the original payment (the HIS's books
and its answer still name the one picked)."""

from __future__ import annotations

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class RefundLatestPayment(His):
    def __init__(self) -> None:
        super().__init__()
        self.latest: dict[str, str] = {}  # main index -> latest payment id at this desk
        self.holder_of: dict[str, str] = {}  # payment id -> main index

    def settle(self, who: dict, bill: dict) -> dict:
        out = super().settle(who, bill)
        if out.get("payment_id"):
            self.latest[who["main_index"]] = out["payment_id"]
            self.holder_of[out["payment_id"]] = who["main_index"]
        return out

    def send_refund(self, paid: dict, amount_cents: int, reason: str) -> dict:
        picked = paid["reference"]
        latest = self.latest.get(self.holder_of.get(picked, ""), picked)
        out = super().send_refund({**paid, "reference": latest}, amount_cents, reason)
        self.books[-1]["payment_id"] = picked  # the books say what the cashier chose
        out["payment_id"] = picked
        return out


class MUTANT:
    mutant_name = "rt-refund-latest-payment"
    description = (
        "refunds the patient's latest payment instead of the one picked; books and answer name the picked one"
    )
    defect_class = "refunds"
    catches = ("HIS-PAY-003",)
    profile = "shandong-jining"

    @staticmethod
    def his_class() -> type[His]:
        return RefundLatestPayment
