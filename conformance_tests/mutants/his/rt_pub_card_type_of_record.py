"""HIS mutant rt-pub-card-type-of-record: public services report the card type kept in the HIS's
patient record (the medium the patient was first registered with), not the medium read now."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class PubCardTypeOfRecord(His):
    def __init__(self) -> None:
        super().__init__()
        self.first_type: dict[str, str] = {}  # main index -> card type of the first read

    def make_service_record(self, who: dict, name: str, scene: str, req: dict) -> Any:
        record = super().make_service_record(who, name, scene, req)
        record.card_type = self.first_type.setdefault(who["main_index"], who["card_type"])
        return record

    def make_record(self, who: dict, step: str, visit_type: str) -> Any:
        self.first_type.setdefault(who["main_index"], who["card_type"])
        return super().make_record(who, step, visit_type)


class MUTANT:
    mutant_name = "rt-pub-card-type-of-record"
    description = (
        "public-service uses carry the card type of the patient's first registration, not the medium read"
    )
    defect_class = "public services"
    catches = ("HIS-PUB-001", "HIS-PUB-005")
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return PubCardTypeOfRecord
