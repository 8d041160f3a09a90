"""A gRPC proxy that injects faults between a DUT (terminal, HIS) and the kit's node.

It forwards every unary call unchanged (bytes and signature metadata), except that it can refuse
the next N calls of a method with UNAVAILABLE before they reach the node — so a suite can check a
client retries, with the same idempotency key, without duplicating anything on the node.
"""

from __future__ import annotations

import threading
from concurrent import futures
from typing import Any

import grpc

_SKIP_METADATA = {
    "content-type",
    "user-agent",
    "te",
    "grpc-accept-encoding",
    "grpc-encoding",
    "accept-encoding",
}


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = grpc.insecure_channel(upstream)
        self._fail: dict[str, int] = {}
        self._lock = threading.Lock()
        self.calls: list[tuple[str, str]] = []  # (method, "refused" | "forwarded")
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        self.server.add_generic_rpc_handlers((_Handler(self),))
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.target = f"127.0.0.1:{self.port}"
        self.server.start()

    def fail_next(self, method_suffix: str, times: int = 1) -> None:
        with self._lock:
            self._fail[method_suffix] = times

    def _should_fail(self, method: str) -> bool:
        with self._lock:
            for suffix, left in self._fail.items():
                if method.endswith(suffix) and left > 0:
                    self._fail[suffix] = left - 1
                    return True
        return False

    def forward(self, method: str, request: bytes, context: grpc.ServicerContext) -> bytes:
        if self._should_fail(method):
            self.calls.append((method, "refused"))
            context.abort(grpc.StatusCode.UNAVAILABLE, "injected by the conformance kit: node unavailable")
        self.calls.append((method, "forwarded"))
        metadata = [(k, v) for k, v in context.invocation_metadata() if k not in _SKIP_METADATA]
        call = self.upstream.unary_unary(method, request_serializer=None, response_deserializer=None)
        try:
            response, outcome = call.with_call(request, metadata=metadata, timeout=30)
        except grpc.RpcError as exc:
            context.set_trailing_metadata(exc.trailing_metadata() or ())
            context.abort(exc.code(), exc.details() or "")
        context.set_trailing_metadata(outcome.trailing_metadata() or ())
        return response

    def close(self) -> None:
        self.server.stop(1)
        self.upstream.close()


class _Handler(grpc.GenericRpcHandler):
    def __init__(self, proxy: FaultProxy) -> None:
        self.proxy = proxy

    def service(self, handler_call_details: Any) -> grpc.RpcMethodHandler:
        method = handler_call_details.method

        def unary(request: bytes, context: grpc.ServicerContext) -> bytes:
            return self.proxy.forward(method, request, context)

        return grpc.unary_unary_rpc_method_handler(unary, request_deserializer=None, response_serializer=None)
