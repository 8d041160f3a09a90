"""Codes of the front-end server (49[6-7]x, within the node's range); otherwise it reuses the
node's codes (authentication 42xx, validation 41xx, USAGE_CONFLICT) so terminals see the same
errors whether they call the node or the relay."""

from __future__ import annotations

import grpc

from ehc.errors import ErrorCode, define

L = "reference_node"

UPSTREAM_UNAVAILABLE = define(
    "NODE_FRONTEND_UPSTREAM_UNAVAILABLE",
    4960,
    L,
    "front-end: the city node is not reachable and no answer within the cache bound is held",
)
STORE_FAILED = define(
    "NODE_FRONTEND_STORE_FAILED", 4961, L, "front-end: local store failed; the report was NOT acknowledged"
)
NOT_RELAYED = define(
    "NODE_FRONTEND_NOT_RELAYED",
    4962,
    L,
    "front-end: this method is not relayed (call the city node directly)",
)

_STATUS = {
    UPSTREAM_UNAVAILABLE.name: grpc.StatusCode.UNAVAILABLE,
    STORE_FAILED.name: grpc.StatusCode.UNAVAILABLE,
    NOT_RELAYED.name: grpc.StatusCode.UNIMPLEMENTED,
}


def status_of(code: ErrorCode) -> grpc.StatusCode:
    """The gRPC status of a front-end or node code (the node's mapping for the node's codes)."""
    from reference_node.errors import grpc_status

    return _STATUS.get(code.name) or grpc_status(code)
