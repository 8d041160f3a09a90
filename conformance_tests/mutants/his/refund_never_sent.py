"""HIS mutant refund-never-sent: refunds are booked in the HIS and "sent in the nightly batch" that
never reaches the settlement; the cashier is told the refund is done (a local reference number)."""

from __future__ import annotations

import uuid

from conformance_tests.drivers.reference_his import His


class RefundNeverSent(His):
    def send_refund(self, paid: dict, amount_cents: int, reason: str) -> dict:
        refund_id = "REF" + uuid.uuid4().hex[:20].upper()  # the HIS's own number, no node call
        self.book("refund", refund_id, order_id=paid.get("order_id", ""), amount_cents=amount_cents,
                  category=paid.get("category", ""), payment_id=paid["reference"])  # fmt: skip
        return {"refund_id": refund_id, "payment_id": paid["reference"], "amount_cents": amount_cents}


class MUTANT:
    mutant_name = "refund-never-sent"
    description = "books refunds locally and answers them done; the settlement never receives them"
    defect_class = "refunds"
    catches = ("HIS-PAY-003",)
    profile = "hunan-hengyang"

    @staticmethod
    def his_class() -> type[His]:
        return RefundNeverSent
