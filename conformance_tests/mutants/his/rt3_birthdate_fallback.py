"""HIS mutant rt3-birthdate-fallback: when the node will not identify a card (the "read failed"),
the clerk finds the patient in the HIS's own register by birth date and sex (as read from the
document, or from the ID number) instead of refusing: a suspended or cancelled card of a patient
seen before goes on with the visit."""

from __future__ import annotations

import datetime as dt

from conformance_tests.drivers.reference_his import His, Refused

__all__ = ["MUTANT"]


def _key(patient: dict) -> str:
    number = str(patient.get("identifier", ""))
    birth = str(patient.get("birth_date") or number[6:14])
    sex = str(patient.get("sex") or (number[16:17] if len(number) >= 17 else ""))
    return f"{patient.get('name', '')}/{birth}/{sex}"


class BirthdateFallback(His):
    def __init__(self) -> None:
        super().__init__()
        self.register: dict[str, dict] = {}

    def identify(self, patient: dict, scene: str, day: dt.date) -> dict:
        try:
            who = super().identify(patient, scene, day)
        except Refused:
            known = self.register.get(_key(patient)) if patient["medium"] != "hospital-card" else None
            if known is None:
                raise
            return known  # "card read failed, found by name and birth date"
        if patient["medium"] in ("id-card", "ssc", "resident-card"):
            self.register[_key(patient)] = who
        return who


class MUTANT:
    mutant_name = "rt3-birthdate-fallback"
    description = "a card the node refuses is matched in the HIS's register by name/birth date/sex and the visit goes on"
    defect_class = "node refusal"
    catches = ("HIS-016", "HIS-001")
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return BirthdateFallback
