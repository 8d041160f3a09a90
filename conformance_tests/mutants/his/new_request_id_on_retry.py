"""HIS mutant new-request-id-on-retry: retries a report whose answer was lost with a NEW request id: the node counts the use twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conformance_tests.drivers.reference_his import His, Refused

__all__ = ["MUTANT", "Any", "Refused", "dt"]


class NewRequestIdOnRetry(His):
    def retry_record(self, record: Any) -> Any:
        import uuid

        fresh = type(record)()
        fresh.CopyFrom(record)
        fresh.request_id = str(uuid.uuid4())  # "a new call needs a new id"
        return fresh


class MUTANT:
    mutant_name = "new-request-id-on-retry"
    description = (
        "retries a report whose answer was lost with a NEW request id: the node counts the use twice"
    )
    defect_class = "retries"
    catches = ("HIS-012",)
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return NewRequestIdOnRetry
