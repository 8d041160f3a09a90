"""HIS mutant pays-refused-card: the cashier trusts the card check of the morning: when the
settlement refuses the payment (the card was suspended or cancelled since), the POS receipt is
printed anyway — the bill is marked paid and the 收费 use is reported."""

from __future__ import annotations

import uuid

from conformance_tests.drivers.reference_his import His


class PaysRefusedCard(His):
    def settle(self, who: dict, bill: dict) -> dict:
        out = super().settle(who, bill)
        if out.get("status") != "refused":
            return out
        scene = self.scene_of("payment")
        return {
            "status": "paid",
            "payment_id": "POS" + uuid.uuid4().hex[:12].upper(),
            "amount_cents": bill["amount_cents"],
            "category": bill["category"],
            "scene": scene,
            "reported": self.report_paid_step(who, scene, bill["category"]),
        }


class MUTANT:
    mutant_name = "pays-refused-card"
    description = (
        "ignores the settlement's refusal of a suspended/cancelled card: marks the bill paid and reports it"
    )
    defect_class = "card status at payment"
    catches = ("HIS-PAY-005",)
    profile = "hunan-hengyang"

    @staticmethod
    def his_class() -> type[His]:
        return PaysRefusedCard
