"""HIS mutant rt-pub-refused-still-booked: when the node refuses the card at a booking, the slot is
still held for the patient (the app already showed it) and the booking use reported under the
patient's last known identity; the answer says refused."""

from __future__ import annotations

import datetime as dt

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class PubRefusedStillBooked(His):
    def __init__(self) -> None:
        super().__init__()
        self.known: dict[str, dict] = {}

    def identify(self, patient: dict, scene: str, day: dt.date) -> dict:
        who = super().identify(patient, scene, day)
        self.known[patient.get("qr_text") or patient.get("identifier", "")] = who
        return who

    def service(self, req: dict) -> dict:
        out = super().service(req)
        key = (req.get("patient") or {}).get("qr_text") or (req.get("patient") or {}).get("identifier", "")
        if out.get("patient") is None and req.get("service") == "booking" and key in self.known:
            scene = self.service_scene("booking", req)
            self.report_service(self.known[key], "booking", scene, req)  # the slot is held anyway
        return out


class MUTANT:
    mutant_name = "rt-pub-refused-still-booked"
    description = (
        "a booking the node refuses is still held and reported under the patient's last known identity"
    )
    defect_class = "refused card"
    catches = ("HIS-PUB-006",)
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return PubRefusedStillBooked
