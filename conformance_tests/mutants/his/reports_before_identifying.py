"""HIS mutant reports-before-identifying: reports the registration card use from the EHCID in the QR text first, and asks the node who the patient is afterwards."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conformance_tests.drivers.reference_his import His, Refused

__all__ = ["MUTANT", "Any", "Refused", "dt"]


class ReportsBeforeIdentifying(His):
    def visit(self, req: dict) -> dict:
        patient = req["patient"]
        if patient["medium"].startswith("ehc-qr") and req["steps"][0] == "registration":
            early = {"ehcid": patient["qr_text"].split(":")[0], "card_type": "11", "main_index": ""}
            self.report(self.make_record(early, "registration", req.get("visit_type", "O")))
            rest = dict(req, steps=req["steps"][1:])
            if not rest["steps"]:
                who = self.identify(patient, self.scenes["registration"], dt.datetime.now().date())
                step = {"step": "registration", "scene": self.scene_of("registration"), "reported": True}
                return {
                    "patient": {"main_index": who["main_index"]},
                    "pay_later": self.pay_later(who),
                    "steps": [step],
                }
            answer = super().visit(rest)
            answer["steps"].insert(
                0, {"step": "registration", "scene": self.scene_of("registration"), "reported": True}
            )
            return answer
        return super().visit(req)


class MUTANT:
    mutant_name = "reports-before-identifying"
    description = "reports the registration card use from the EHCID in the QR text first, and asks the node who the patient is afterwards"
    defect_class = "identification"
    catches = ("HIS-001",)
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return ReportsBeforeIdentifying
