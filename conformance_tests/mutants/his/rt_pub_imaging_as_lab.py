"""HIS mutant rt-pub-imaging-as-lab: the report portal has one menu; an imaging (examination)
report query made right after a lab query of the same patient is reported with the lab scene."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class PubImagingAsLab(His):
    def __init__(self) -> None:
        super().__init__()
        self.last_kind: dict[str, str] = {}

    def make_service_record(self, who: dict, name: str, scene: str, req: dict) -> Any:
        record = super().make_service_record(who, name, scene, req)
        if name == "report_query":
            kind = req.get("kind", "lab")
            if self.last_kind.get(who["main_index"]) == "lab":
                record.scene = self.services.get("lab_report", record.scene)  # the menu still on 检验
                record.medical_step = record.scene[:6]
            self.last_kind[who["main_index"]] = kind
        return record


class MUTANT:
    mutant_name = "rt-pub-imaging-as-lab"
    description = "a report query right after a lab query of the same patient is reported with the lab scene"
    defect_class = "public services"
    catches = ("HIS-PUB-003",)
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return PubImagingAsLab
