"""HIS mutant rt-early-report-card-lane: at the cashier a card read by its number (ID card, social
security card, resident card) is reported as soon as it is read — before the payment is known, with
the record's default category (0100) — and not again after the payment; scanned codes are right."""

from __future__ import annotations

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class EarlyReportCardLane(His):
    def __init__(self) -> None:
        super().__init__()
        self.reported_at_read = False

    def pay_step(self, who: dict, req: dict) -> dict:
        if who["card_type"] == "11":
            return super().pay_step(who, req)
        ack = self.report(self.make_record(who, "payment", "O"))  # default category, paid scene
        self.reported_at_read = bool(ack and (ack.accepted or ack.duplicate))
        try:
            return super().pay_step(who, req)
        finally:
            self.reported_at_read = False

    def report_paid_step(self, who: dict, scene: str, category: str) -> bool:
        if self.reported_at_read:
            return True  # "already reported when the card was read"
        return super().report_paid_step(who, scene, category)


class MUTANT:
    mutant_name = "rt-early-report-card-lane"
    description = "reports the 收费 use of a card read by number before the payment is known (default 0100); codes are right"
    defect_class = "payment category"
    catches = ("HIS-PAY-002",)
    profile = "sichuan"

    @staticmethod
    def his_class() -> type[His]:
        return EarlyReportCardLane
