"""A gRPC proxy between a DUT (terminal, HIS) and the kit's node: the kit's own record of what the
DUT sent, and a fault injector.

It forwards every unary call unchanged (bytes and signature metadata) and keeps a **transcript**
of every call: method, the decoded request (for the node methods a client uses: VerifyQr,
Resolve, LinkMedium, usage Report), the outcome and the status. Suites rest their verdicts on this
transcript and on the node's own records, never on what the DUT says it did.

Faults, per method suffix, for the next N calls (the transcript and fault table are
``proxycore.CallRecorder``, shared with the HTTP envelope proxy):

* ``fail_next``       refuse with UNAVAILABLE before the call reaches the node (nothing happened);
* ``drop_reply_next`` forward to the node, then answer UNAVAILABLE (the node committed, the reply
  was lost) — a client that retries with a new idempotency key creates a duplicate.
"""

from __future__ import annotations

from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc

from reference_node.client import trailers_of

from .proxycore import FORWARDED, CallRecord, CallRecorder

_SKIP_METADATA = {
    "content-type",
    "user-agent",
    "te",
    "grpc-accept-encoding",
    "grpc-encoding",
    "accept-encoding",
}
#: request fields shown in the transcript, when set
_SUMMARY_FIELDS = (
    "request_id",
    "scene",
    "card_type",
    "org_code",
    "terminal_id",
    "ehcid",
    "qr_text",
    "identifier",
    "issuer",
    "order_id",
    "payment_id",
    "category",
    "amount_cents",
)


def _decoders() -> dict[str, Any]:
    from reference_node.proto.ehc.node.v1 import main_index_pb2, settlement_pb2, usage_pb2, verification_pb2

    settle = "/ehc.node.v1.SettlementService/"
    return {
        settle + "CreateOrder": settlement_pb2.CreateOrderRequest,
        settle + "Pay": settlement_pb2.PayRequest,
        settle + "Refund": settlement_pb2.RefundRequest,
        settle + "Reconcile": settlement_pb2.ReconcileRequest,
        "/ehc.node.v1.VerificationService/VerifyQr": verification_pb2.VerifyQrRequest,
        "/ehc.node.v1.VerificationService/VerifyChipCard": verification_pb2.VerifyChipCardRequest,
        "/ehc.node.v1.MainIndexService/Resolve": main_index_pb2.ResolveRequest,
        "/ehc.node.v1.MainIndexService/LinkMedium": main_index_pb2.LinkMediumRequest,
        "/ehc.node.v1.UsageService/Report": usage_pb2.UsageRecord,
    }


@dataclass
class ProxyCall(CallRecord):
    """One call the DUT made, as the proxy saw it; ``status`` is the gRPC status code name."""

    request: Any = None  # decoded request message, when the method is known

    def details(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        r = self.request
        if r is not None:
            for name in _SUMMARY_FIELDS:
                value = getattr(r, name, None)
                if value:
                    out[name] = value
            medium = getattr(r, "medium", 0)
            if medium:
                out["medium"] = int(medium)
        return out


class FaultProxy(CallRecorder[ProxyCall]):
    def __init__(self, upstream: str) -> None:
        super().__init__()
        self.upstream = grpc.insecure_channel(upstream)
        self._decode = _decoders()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        self.server.add_generic_rpc_handlers((_Handler(self),))
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.target = f"127.0.0.1:{self.port}"
        self.server.start()

    def _decoded(self, method: str, request: bytes) -> Any:
        kind = self._decode.get(method)
        if kind is None:
            return None
        try:
            return kind.FromString(request)
        except Exception:  # noqa: BLE001 - an undecodable request is recorded as such
            return None

    # ------------------------------------------------------------------ forwarding
    def forward(self, method: str, request: bytes, context: grpc.ServicerContext) -> bytes:
        decoded = self._decoded(method, request)
        call, refuse, drop = self.record(lambda seq: ProxyCall(seq, method, FORWARDED, request=decoded))
        if refuse:
            call.refused("UNAVAILABLE")
            context.abort(grpc.StatusCode.UNAVAILABLE, "injected by the conformance kit: node unavailable")
        metadata = tuple((k, v) for k, v in context.invocation_metadata() if k not in _SKIP_METADATA)
        upstream: grpc.UnaryUnaryMultiCallable[bytes, bytes] = self.upstream.unary_unary(
            method, request_serializer=None, response_deserializer=None
        )
        try:
            response, outcome = upstream.with_call(request, metadata=metadata, timeout=30)
        except grpc.RpcError as exc:
            call.status = exc.code().name
            context.set_trailing_metadata(trailers_of(exc))
            context.abort(exc.code(), exc.details() or "")
        if drop:
            call.reply_dropped("UNAVAILABLE")
            context.abort(grpc.StatusCode.UNAVAILABLE, "injected by the conformance kit: reply lost")
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
