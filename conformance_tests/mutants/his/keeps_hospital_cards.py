"""HIS mutant keeps-hospital-cards: keeps issuing and accepting hospital cards after the stop dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conformance_tests.drivers.reference_his import His, Refused

__all__ = ["MUTANT", "Any", "Refused", "dt"]


class KeepsHospitalCards(His):
    def hospital_cards_allowed(self, action: str, day: dt.date) -> bool:
        return True


class MUTANT:
    mutant_name = "keeps-hospital-cards"
    description = "keeps issuing and accepting hospital cards after the stop dates"
    defect_class = "hospital cards"
    catches = ("HIS-014",)
    profile = "shandong-jining"

    @staticmethod
    def his_class() -> type[His]:
        return KeepsHospitalCards
