"""HIS mutant step-code-as-scene: reports the 6-digit medical step where the 7-digit scene of the step belongs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conformance_tests.drivers.reference_his import His, Refused

__all__ = ["MUTANT", "Any", "Refused", "dt"]


class StepCodeAsScene(His):
    def scene_of(self, step: str) -> str:
        return self.scenes[step][:6]  # "the node accepts 6 digits too" (usage.proto comment)


class MUTANT:
    mutant_name = "step-code-as-scene"
    description = "reports the 6-digit medical step where the 7-digit scene of the step belongs"
    defect_class = "step reports"
    catches = (
        "HIS-002",
        "HIS-003",
        "HIS-004",
        "HIS-005",
        "HIS-006",
        "HIS-007",
        "HIS-008",
        "HIS-009",
        "HIS-010",
    )
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return StepCodeAsScene
