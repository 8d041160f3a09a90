"""HIS mutant claims-reported: reports registration at once and queues the other steps for a nightly batch, yet tells the kit every step was reported."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conformance_tests.drivers.reference_his import His, Refused

__all__ = ["MUTANT", "Any", "Refused", "dt"]


class ClaimsReported(His):
    def report_step(self, who: dict, step: str, visit_type: str) -> dict:
        if step == "registration":
            return super().report_step(who, step, visit_type)
        return {"step": step, "scene": self.scene_of(step), "reported": True}  # "will be sent tonight"


class MUTANT:
    mutant_name = "claims-reported"
    description = "reports registration at once and queues the other steps for a nightly batch, yet tells the kit every step was reported"
    defect_class = "self-report"
    catches = ("HIS-018",)
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return ClaimsReported
