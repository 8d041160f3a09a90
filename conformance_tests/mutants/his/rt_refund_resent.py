"""HIS mutant rt-refund-resent: the refund client was written apart from the payment client and
mints a new request id when it resends a refund that timed out — a refund whose answer was lost is
made twice."""

from __future__ import annotations

import uuid
from typing import Any

from conformance_tests.drivers.reference_his import His

__all__ = ["MUTANT"]


class RefundResent(His):
    def retry_payment_request(self, method: str, request: Any) -> Any:
        if method != "Refund":
            return super().retry_payment_request(method, request)
        again = type(request)()
        again.CopyFrom(request)
        again.request_id = "REF-" + uuid.uuid4().hex  # "a new attempt": the node sees a new refund
        return again


class MUTANT:
    mutant_name = "rt-refund-resent"
    description = "resends a refund whose answer was lost under a new request id: refunded twice"
    defect_class = "refunds"
    catches = ("HIS-PAY-003", "HIS-PAY-004")
    profile = "zibo"

    @staticmethod
    def his_class() -> type[His]:
        return RefundResent
