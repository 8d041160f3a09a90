"""A vendor whose API gateway maps its back end's business refusals to gRPC statuses with a table
that has no FAILED_PRECONDITION: a suspended, cancelled or expired card, an exhausted code or a
state conflict comes back INVALID_ARGUMENT — the kit's code and message are kept in the trailers,
so a log reader sees the right reason, while a terminal that acts on the status tells the
patient "your code is malformed, scan again"."""

from __future__ import annotations

from typing import Any

import grpc

from ._proxy import Call, Refusal, VendorNode


class StatusRemap(VendorNode):
    mutant_name = "rt3-status-remap"
    description = "FAILED_PRECONDITION refusals (card status, expiry, state) answered INVALID_ARGUMENT"
    defect_class = "error status: right code in the message, wrong gRPC status"
    catches = (
        "NODE-VERIFY-004",
        "NODE-CARD-001",
        "NODE-CARD-002",
        "NODE-CARD-006",
        "NODE-QR-004",
        "QR-DYN-002",
    )

    def on_refusal(self, call: Call, refusal: Refusal) -> Any:
        if refusal.code == grpc.StatusCode.FAILED_PRECONDITION:
            raise Refusal(grpc.StatusCode.INVALID_ARGUMENT, refusal.details, refusal.trailers)
        raise refusal


MUTANT = StatusRemap
