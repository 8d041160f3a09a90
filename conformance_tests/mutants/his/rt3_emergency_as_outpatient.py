"""HIS mutant rt3-emergency-as-outpatient: the reporting module knows only 门诊 (O), 住院 (I) and
体检 (H): an emergency (E) or transfer (T) visit is reported as an outpatient one."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class EmergencyAsOutpatient(His):
    def make_record(self, who: dict, step: str, visit_type: str) -> Any:
        return super().make_record(who, step, visit_type if visit_type in ("O", "I", "H") else "O")


class MUTANT:
    mutant_name = "rt3-emergency-as-outpatient"
    description = "an emergency (E) or transfer (T) visit is reported with visit type O"
    defect_class = "step reports"
    catches = ("HIS-011",)
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return EmergencyAsOutpatient
