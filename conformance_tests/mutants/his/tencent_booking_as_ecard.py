"""HIS mutant tencent-booking-as-ecard: the WeChat booking module (Tencent envelope) reports every
booking as an e-card use (cardType 11): the healthCardId registerHealthCard answers is right there,
so a booking made with an ID card or a resident health card is counted as an e-card visit."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_his import His


class BookingAsEcard(His):
    def make_service_record(self, who: dict, name: str, scene: str, req: dict) -> Any:
        if name == "booking" and who.get("ehcid"):
            who = {**who, "card_type": "11"}  # "it is the e-card platform, so it is an e-card use"
        return super().make_service_record(who, name, scene, req)


class MUTANT:
    mutant_name = "tencent-booking-as-ecard"
    description = (
        "Tencent envelope: reports every booking as an e-card use (cardType 11), whatever medium the "
        "patient booked with"
    )
    defect_class = "public-service reports"
    catches = ("HIS-PUB-001",)
    profile = "national"
    api = "tencent"

    @staticmethod
    def his_class() -> type[His]:
        return BookingAsEcard
