"""HIS mutant rt3-cached-code-answer: the front end keeps the node's answer for each code it has
verified; when the node later refuses the same code (the card was suspended since), the front end
serves the cached answer ("the node is flaky") and the visit goes on."""

from __future__ import annotations

import datetime as dt

from conformance_tests.drivers.reference_his import His, Refused

__all__ = ["MUTANT"]


class CachedCodeAnswer(His):
    def __init__(self) -> None:
        super().__init__()
        self.cache: dict[str, dict] = {}

    def identify(self, patient: dict, scene: str, day: dt.date) -> dict:
        key = str(patient.get("qr_text") or patient.get("identifier") or "")
        try:
            who = super().identify(patient, scene, day)
        except Refused as exc:
            if exc.code in ("NODE_CARD_SUSPENDED", "NODE_CARD_CANCELLED") and key in self.cache:
                return self.cache[key]
            raise
        self.cache[key] = who
        return who


class MUTANT:
    mutant_name = "rt3-cached-code-answer"
    description = "a card suspended after an earlier visit is served from the front end's cached node answer"
    defect_class = "node refusal"
    catches = ("HIS-016", "HIS-PUB-006", "HIS-PAY-005")
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return CachedCodeAnswer
