"""HIS mutant no-retry: drops a card-use report the node refused transiently."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conformance_tests.drivers.reference_his import His, Refused

__all__ = ["MUTANT", "Any", "Refused", "dt"]


class NoRetry(His):
    def report(self, record: Any, attempts: int = 3) -> Any:
        return super().report(record, attempts=1)


class MUTANT:
    mutant_name = "no-retry"
    description = "drops a card-use report the node refused transiently"
    defect_class = "retries"
    catches = ("HIS-012",)
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return NoRetry
