"""HIS mutant swallows-refusal: when the node refuses the card (suspended, cancelled) it registers the patient as a walk-in from the QR text and goes on reporting."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conformance_tests.drivers.reference_his import His, Refused

__all__ = ["MUTANT", "Any", "Refused", "dt"]


class SwallowsRefusal(His):
    def identify(self, patient: dict, scene: str, day: dt.date) -> dict:
        try:
            return super().identify(patient, scene, day)
        except Refused:
            if not patient["medium"].startswith("ehc-qr"):
                raise
            ehcid = patient["qr_text"].split(":")[0]  # "don't turn the patient away at the desk"
            return {"main_index": "", "ehcid": ehcid, "poverty": False, "card_type": "11"}


class MUTANT:
    mutant_name = "swallows-refusal"
    description = "when the node refuses the card (suspended, cancelled) it registers the patient as a walk-in from the QR text and goes on reporting"
    defect_class = "node refusal"
    catches = ("HIS-016",)
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return SwallowsRefusal
