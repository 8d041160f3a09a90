"""HIS mutant no-pay-later: ignores the poverty-relief flag (no treat-first-pay-later)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conformance_tests.drivers.reference_his import His, Refused

__all__ = ["MUTANT", "Any", "Refused", "dt"]


class NoPayLater(His):
    def pay_later(self, who: dict) -> bool:
        return False


class MUTANT:
    mutant_name = "no-pay-later"
    description = "ignores the poverty-relief flag (no treat-first-pay-later)"
    defect_class = "poverty flag"
    catches = ("HIS-013",)
    profile = "hunan-hengyang"

    @staticmethod
    def his_class() -> type[His]:
        return NoPayLater
