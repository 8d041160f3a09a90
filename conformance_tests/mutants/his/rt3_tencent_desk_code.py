"""HIS mutant rt3-tencent-desk-code (Tencent envelope): reportHISData of a card read (ID card, social
security card) also carries the code text the desk scanned last — the previous e-card patient's —
"so the platform can match the card"; the card type stays the card's."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class TencentDeskCode(His):
    def __init__(self) -> None:
        super().__init__()
        self.last_code = ""

    def identify(self, patient: dict, scene: str, day: dt.date) -> dict:
        who = super().identify(patient, scene, day)
        if patient["medium"].startswith("ehc-qr"):
            self.last_code = patient["qr_text"]
        return who

    def report_request(self, record: Any) -> dict:
        req = super().report_request(record)
        if not record.ehcid and self.last_code:
            req["qrCodeText"] = self.last_code  # the scanner's buffer
        return req


class MUTANT:
    mutant_name = "rt3-tencent-desk-code"
    description = (
        "Tencent: a card read's use is reported with the last scanned code (the previous patient's) as well"
    )
    defect_class = "reporter identity"
    catches = ("HIS-015", "HIS-017", "HIS-001")
    profile = "national"
    api = "tencent"  # the adapter runs it against the kit's Tencent sandbox URL

    @staticmethod
    def his_class() -> type[His]:
        return TencentDeskCode
