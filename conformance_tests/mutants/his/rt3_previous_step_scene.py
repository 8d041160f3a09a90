"""HIS mutant rt3-previous-step-scene: the reporting job runs one step behind from the second visit
on: each use is reported with the scene of the step done before it (the first visit of the run is
right, and so is the first step of every visit)."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class PreviousStepScene(His):
    def __init__(self) -> None:
        super().__init__()
        self.visits = 0
        self.last_step: str | None = None

    def visit(self, req: dict) -> dict:
        self.visits += 1
        self.last_step = None
        return super().visit(req)

    def make_record(self, who: dict, step: str, visit_type: str) -> Any:
        record = super().make_record(who, step, visit_type)
        if self.visits > 1 and self.last_step and self.last_step != step:
            scene = self.scenes[self.last_step]  # the screen still shows the previous step
            record.scene, record.medical_step = scene, scene[:6]
        self.last_step = step
        return record


class MUTANT:
    mutant_name = "rt3-previous-step-scene"
    description = "from the second visit, each step's use is reported with the previous step's scene"
    defect_class = "step reports"
    catches = ("HIS-003", "HIS-004", "HIS-005", "HIS-006", "HIS-007", "HIS-008", "HIS-009", "HIS-010")
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return PreviousStepScene
