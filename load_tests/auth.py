"""Call signing for node targets: the reference node's HMAC-SM3 client interceptor.

The signing interceptor sits inside the timing one, so its cost is measured like any real
terminal's. Against the echo baseline the request is raw bytes (the serialised message): it is
signed the same way with ``reference_node.auth.sign`` over those bytes, so the client does the
same work. Terminals without a secret send unsigned calls.
"""

from __future__ import annotations

import collections
from typing import Any

import grpc

__all__ = ["signing_interceptors"]


class _Details(
    collections.namedtuple(
        "_Details", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")
    ),
    grpc.ClientCallDetails,
):
    pass


class _BytesSigningInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Signs protobuf messages with the node's own interceptor, raw bytes with the same scheme."""

    def __init__(self, terminal_id: str, secret: bytes) -> None:
        from reference_node.client import Credentials, SigningInterceptor

        self._terminal_id = terminal_id
        self._secret = secret
        self._proto = SigningInterceptor(Credentials(terminal_id=terminal_id, secret=secret, org_code=""))

    def intercept_unary_unary(self, continuation, client_call_details, request):
        if not isinstance(request, bytes | bytearray):
            return self._proto.intercept_unary_unary(continuation, client_call_details, request)
        from reference_node.auth import sign

        d = client_call_details
        headers = sign(self._secret, d.method, bytes(request), terminal_id=self._terminal_id)
        metadata = list(d.metadata or []) + list(headers.items())
        details = _Details(
            d.method,
            d.timeout,
            metadata,
            d.credentials,
            getattr(d, "wait_for_ready", None),
            getattr(d, "compression", None),
        )
        return continuation(details, request)

    def intercept_stream_stream(self, continuation, client_call_details, request_iterator):
        # streams (RegisterBatch) are signed over an empty body, by the node's own interceptor
        return self._proto.intercept_stream_stream(continuation, client_call_details, request_iterator)


def signing_interceptors(terminal: dict[str, Any]) -> list[Any]:
    secret = terminal.get("secret_hex")
    if not secret:
        return []
    return [_BytesSigningInterceptor(terminal["terminal_id"], bytes.fromhex(secret))]
