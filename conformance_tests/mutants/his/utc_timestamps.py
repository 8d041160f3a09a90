"""HIS mutant utc-timestamps: stamps card uses with the server's UTC clock, 8 hours off Beijing time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conformance_tests.drivers.reference_his import His


class UtcTimestamps(His):
    def make_record(self, who: dict, step: str, visit_type: str) -> Any:
        record = super().make_record(who, step, visit_type)
        record.time = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")  # the server runs in UTC
        return record


class MUTANT:
    mutant_name = "utc-timestamps"
    description = "stamps card uses with the server's UTC clock: every use 8 hours off Beijing time"
    defect_class = "reporter identity"
    catches = ("HIS-017",)
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return UtcTimestamps
