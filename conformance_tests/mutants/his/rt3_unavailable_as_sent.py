"""HIS mutant rt3-unavailable-as-sent: the vendor's SDK answers a report still unavailable after its
last retry with status "queued", and the HIS reads that as success: the step is shown as reported
although nothing reaches the node (the queue is never flushed)."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_his import Ack, His

__all__ = ["MUTANT"]


class UnavailableAsSent(His):
    def report(self, record: Any, attempts: int = 3) -> Any:
        ack = super().report(record, attempts)
        return ack if ack is not None else Ack(True, False)  # "queued" == "sent"


class MUTANT:
    mutant_name = "rt3-unavailable-as-sent"
    description = "a report the node never took (unavailable after every retry) is claimed reported"
    defect_class = "self-report"
    catches = ("HIS-018",)
    profile = "national"

    @staticmethod
    def his_class() -> type[His]:
        return UnavailableAsSent
