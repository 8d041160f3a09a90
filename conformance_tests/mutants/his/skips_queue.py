"""HIS mutant skips-queue: does not report the card use at 排队 (queueing)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conformance_tests.drivers.reference_his import His, Refused

__all__ = ["MUTANT", "Any", "Refused", "dt"]


class SkipsQueue(His):
    def report_step(self, who: dict, step: str, visit_type: str) -> dict:
        if step == "queue":  # "nobody pays at the queue": the report was left out of the build
            return {"step": step, "scene": self.scene_of(step), "reported": False}
        return super().report_step(who, step, visit_type)


class MUTANT:
    mutant_name = "skips-queue"
    description = "does not report the card use at 排队 (queueing)"
    defect_class = "step reports"
    catches = ("HIS-003",)
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return SkipsQueue
