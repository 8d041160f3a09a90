"""HIS mutant ecard-type-for-all: reports card type 11 (e-card) whatever medium was read: ID cards and social security cards count as e-card uses."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conformance_tests.drivers.reference_his import His, Refused

__all__ = ["MUTANT", "Any", "Refused", "dt"]


class EcardTypeForAll(His):
    def make_record(self, who: dict, step: str, visit_type: str) -> Any:
        record = super().make_record(who, step, visit_type)
        record.card_type = "11"
        return record


class MUTANT:
    mutant_name = "ecard-type-for-all"
    description = "reports card type 11 (e-card) whatever medium was read: ID cards and social security cards count as e-card uses"
    defect_class = "reporter identity"
    catches = ("HIS-017",)
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return EcardTypeForAll
