"""HIS mutant rt-early-paid-report: on the QR fast lane the 收费 use is reported when the code is
scanned at the cashier — before the payment is known, with the record's default category (0100) —
and not again after the payment; cards read at the desk take the normal path."""

from __future__ import annotations

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class EarlyPaidReport(His):
    def __init__(self) -> None:
        super().__init__()
        self.reported_at_scan = False

    def pay_step(self, who: dict, req: dict) -> dict:
        if who["card_type"] != "11":
            return super().pay_step(who, req)
        ack = self.report(self.make_record(who, "payment", "O"))  # default category, paid scene
        self.reported_at_scan = bool(ack and (ack.accepted or ack.duplicate))
        try:
            return super().pay_step(who, req)
        finally:
            self.reported_at_scan = False

    def report_paid_step(self, who: dict, scene: str, category: str) -> bool:
        if self.reported_at_scan:
            return True  # "already reported at the scan"
        return super().report_paid_step(who, scene, category)


class MUTANT:
    mutant_name = "rt-early-paid-report"
    description = "reports the 收费 use of a scanned code before the payment is known (default category 0100); card reads are right"
    defect_class = "payment category"
    catches = ("HIS-PAY-002",)
    profile = "zibo"

    @staticmethod
    def his_class() -> type[His]:
        return EarlyPaidReport
