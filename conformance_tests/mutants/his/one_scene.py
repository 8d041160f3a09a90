"""HIS mutant one-scene: reports every step with the registration scene."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conformance_tests.drivers.reference_his import His, Refused

__all__ = ["MUTANT", "Any", "Refused", "dt"]


class OneScene(His):
    def scene_of(self, step: str) -> str:
        return self.scenes["registration"]


class MUTANT:
    mutant_name = "one-scene"
    description = "reports every step with the registration scene"
    defect_class = "step reports"
    catches = ("HIS-003", "HIS-004", "HIS-005", "HIS-006", "HIS-007", "HIS-008", "HIS-009", "HIS-010")
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return OneScene
