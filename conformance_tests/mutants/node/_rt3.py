"""Helpers of the rt3- node mutants (red team H5): refusals a vendor's node invents itself, in
the kit's error format (so only the behaviour differs, never the wire format)."""

from __future__ import annotations

import grpc

from reference_node.proto.ehc.node.v1 import common_pb2

from ._proxy import Refusal


def refusal(status: grpc.StatusCode, code: str, number: int, message: str) -> Refusal:
    info = common_pb2.ErrorInfo(code=code, number=number, message=message)
    trailers = (
        ("ehc-error-code", code),
        ("ehc-error-number", str(number)),
        ("ehc-error-bin", info.SerializeToString()),
    )
    return Refusal(status, f"{code} ({number}): {message}", trailers)
