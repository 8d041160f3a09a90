"""HIS mutant rt3-duplicate-means-lost: retries a lost report with the same request id, but reads
the node's "duplicate" answer as "not recorded" and sends the use again under a new id: the node
counts it twice."""

from __future__ import annotations

import uuid
from typing import Any

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class DuplicateMeansLost(His):
    def report(self, record: Any, attempts: int = 3) -> Any:
        ack = super().report(record, attempts)
        if ack is not None and ack.duplicate:
            fresh = type(record)()
            fresh.CopyFrom(record)
            fresh.request_id = str(uuid.uuid4())  # "duplicate = rejected, send it again"
            return super().report(fresh, attempts)
        return ack


class MUTANT:
    mutant_name = "rt3-duplicate-means-lost"
    description = (
        "a retry answered 'duplicate' is read as lost and resent under a new request id (counted twice)"
    )
    defect_class = "retries"
    catches = ("HIS-012",)
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return DuplicateMeansLost
