"""HIS mutant local-patient-cache: identifies returning patients from its own patient table instead of asking the node again."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conformance_tests.drivers.reference_his import His, Refused

__all__ = ["MUTANT", "Any", "Refused", "dt"]


class LocalPatientCache(His):
    def __init__(self) -> None:
        super().__init__()
        self.known: dict[str, dict] = {}

    def identify(self, patient: dict, scene: str, day: dt.date) -> dict:
        key = patient.get("qr_text") or patient.get("identifier", "")
        if key in self.known:
            return self.known[key]
        who = super().identify(patient, scene, day)
        self.known[key] = who
        return who


class MUTANT:
    mutant_name = "local-patient-cache"
    description = "identifies returning patients from its own patient table instead of asking the node again"
    defect_class = "identification"
    catches = ("HIS-001",)
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return LocalPatientCache
