"""A vendor whose look-ups raise on a missing row and whose error handler turns every exception into
a 500: an unknown card, person or medium comes back as INTERNAL instead of NOT_FOUND."""

from __future__ import annotations

from typing import Any

import grpc

from ._proxy import Call, Refusal, VendorNode


class UnknownAsInternal(VendorNode):
    mutant_name = "unknown-as-internal"
    description = "answers an unknown card or medium with an internal server error"
    defect_class = "wrong error class for unknown cards"
    catches = ("NODE-VERIFY-003", "NODE-EMPI-007", "NODE-QR-004")

    def on_refusal(self, call: Call, refusal: Refusal) -> Any:
        if refusal.code == grpc.StatusCode.NOT_FOUND:
            raise Refusal(grpc.StatusCode.INTERNAL, "internal server error")  # no kit code either
        raise refusal


MUTANT = UnknownAsInternal
