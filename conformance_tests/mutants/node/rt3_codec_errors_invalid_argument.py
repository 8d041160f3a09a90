"""A vendor whose node maps every error of its QR library (the 2xxx codes: malformed, expired,
not yet valid, bad seal) to INVALID_ARGUMENT — "the code text is the argument". The kit's code
and message stay in the trailers; an expired dynamic code, which the same patient fixes by
refreshing the code on the phone, reaches the terminal as a malformed request."""

from __future__ import annotations

from typing import Any

import grpc

from ._proxy import Call, Refusal, VendorNode


class CodecErrorsInvalidArgument(VendorNode):
    mutant_name = "rt3-codec-errors-invalid-argument"
    description = "QR library errors (expired, not yet valid) answered INVALID_ARGUMENT, kit code kept"
    defect_class = "error status: right code in the message, wrong gRPC status"
    catches = ("QR-DYN-002",)

    def on_refusal(self, call: Call, refusal: Refusal) -> Any:
        if refusal.kit_code.startswith("QR_") and refusal.code != grpc.StatusCode.INVALID_ARGUMENT:
            raise Refusal(grpc.StatusCode.INVALID_ARGUMENT, refusal.details, refusal.trailers)
        raise refusal


MUTANT = CodecErrorsInvalidArgument
