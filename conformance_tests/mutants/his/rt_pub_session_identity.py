"""HIS mutant rt-pub-session-identity: the patient app keeps a session: the first public service of
a code asks the node who it is, later services of the same code within the session reuse that
answer — a code suspended since the first query still gets reminders, reports and records."""

from __future__ import annotations

import datetime as dt

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class PubSessionIdentity(His):
    def __init__(self) -> None:
        super().__init__()
        self.session: dict[str, dict] = {}  # code text / card number -> who the node said
        self.in_service = False

    def service(self, req: dict) -> dict:
        self.in_service = True
        try:
            return super().service(req)
        finally:
            self.in_service = False

    def identify(self, patient: dict, scene: str, day: dt.date) -> dict:
        if not self.in_service:
            return super().identify(patient, scene, day)
        key = patient.get("qr_text") or patient.get("identifier", "")
        if key not in self.session:
            self.session[key] = super().identify(patient, scene, day)
        return self.session[key]


class MUTANT:
    mutant_name = "rt-pub-session-identity"
    description = (
        "public services reuse the node's first answer for a code within the app session (no second check)"
    )
    defect_class = "public services"
    catches = ("HIS-PUB-002", "HIS-PUB-003", "HIS-PUB-004", "HIS-PUB-006")
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return PubSessionIdentity
