"""HIS mutant rt-stale-desk-card: the cashier's card reader keeps the last card it read, so paying
for an earlier visit charges the person read last — the previous patient at the desk."""

from __future__ import annotations

import datetime as dt

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class StaleDeskCard(His):
    def __init__(self) -> None:
        super().__init__()
        self.desk_card: dict | None = None

    def identify(self, patient: dict, scene: str, day: dt.date) -> dict:
        who = super().identify(patient, scene, day)
        self.desk_card = who
        return who

    def pay(self, req: dict) -> dict:
        visit = self._desk()["visits"].get(str(req.get("visit_id", "")))
        if visit is None or self.desk_card is None:
            return super().pay(req)
        return {"payment": self.settle(self.desk_card, self.bill_of(req))}  # the card still "in the reader"


class MUTANT:
    mutant_name = "rt-stale-desk-card"
    description = "pays an earlier visit with the card read last at the desk (the previous patient's)"
    defect_class = "payment holder"
    catches = ("HIS-PAY-001",)
    profile = "shandong-jining"

    @staticmethod
    def his_class() -> type[His]:
        return StaleDeskCard
