"""HIS mutant group-org-code: reports every card use under the hospital group's head-office organisation code from its config template, not its own."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conformance_tests.drivers.reference_his import His, Refused

__all__ = ["MUTANT", "Any", "Refused", "dt"]


class GroupOrgCode(His):
    def make_record(self, who: dict, step: str, visit_type: str) -> Any:
        record = super().make_record(who, step, visit_type)
        record.org_code = "12370800MB1234567X"  # the group's code, shared by every campus
        return record


class MUTANT:
    mutant_name = "group-org-code"
    description = "reports every card use under the hospital group's head-office organisation code from its config template, not its own"
    defect_class = "reporter identity"
    catches = ("HIS-017",)
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return GroupOrgCode
