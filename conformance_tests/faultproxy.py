"""A gRPC proxy between a DUT (terminal, HIS) and the kit's node: the kit's own record of what the
DUT sent, and a fault injector.

It forwards every unary call unchanged (bytes and signature metadata) and keeps a **transcript**
of every call: method, the decoded request (for the node methods a client uses: VerifyQr,
Resolve, LinkMedium, usage Report), the outcome and the status. Suites rest their verdicts on this
transcript and on the node's own records, never on what the DUT says it did.

Faults, per method suffix, for the next N calls:

* ``fail_next``       refuse with UNAVAILABLE before the call reaches the node (nothing happened);
* ``drop_reply_next`` forward to the node, then answer UNAVAILABLE (the node committed, the reply
  was lost) — a client that retries with a new idempotency key creates a duplicate.
"""

from __future__ import annotations

import datetime as dt
import threading
from concurrent import futures
from dataclasses import dataclass, field
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
class ProxyCall:
    """One call the DUT made, as the proxy saw it."""

    seq: int
    method: str  # full gRPC method, e.g. /ehc.node.v1.UsageService/Report
    outcome: str  # forwarded | refused (never reached the node) | reply-dropped (node done, reply lost)
    status: str = "OK"  # gRPC status code name the DUT received
    request: Any = None  # decoded request message, when the method is known
    at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"))

    @property
    def name(self) -> str:
        return self.method.rsplit("/", 1)[-1]

    def summary(self) -> dict[str, Any]:
        """Transcript form (the transcript masks identifiers)."""
        out: dict[str, Any] = {"seq": self.seq, "method": self.name, "outcome": self.outcome}
        if self.status != "OK":
            out["status"] = self.status
        r = self.request
        if r is not None:
            for name in (
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
            ):
                value = getattr(r, name, None)
                if value:
                    out[name] = value
            if hasattr(r, "medium") and getattr(r, "medium", 0):
                out["medium"] = int(r.medium)
        return out


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = grpc.insecure_channel(upstream)
        self._fail: dict[str, int] = {}
        self._drop: dict[str, int] = {}
        self._lock = threading.Lock()
        self._decode = _decoders()
        self.transcript: list[ProxyCall] = []
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        self.server.add_generic_rpc_handlers((_Handler(self),))
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.target = f"127.0.0.1:{self.port}"
        self.server.start()

    # ------------------------------------------------------------------ faults
    def fail_next(self, method_suffix: str, times: int = 1) -> None:
        with self._lock:
            self._fail[method_suffix] = times

    def drop_reply_next(self, method_suffix: str, times: int = 1) -> None:
        with self._lock:
            self._drop[method_suffix] = times

    @staticmethod
    def _take(table: dict[str, int], method: str) -> bool:
        for suffix, left in table.items():
            if method.endswith(suffix) and left > 0:
                table[suffix] = left - 1
                return True
        return False

    # ------------------------------------------------------------------ evidence
    @property
    def calls(self) -> list[tuple[str, str]]:
        """(method, outcome) of every call so far."""
        return [(c.method, c.outcome) for c in self.transcript]

    def mark(self) -> int:
        """A position in the transcript: ``since(mark)`` gives the calls made after it."""
        with self._lock:
            return len(self.transcript)

    def since(self, mark: int, name: str | None = None) -> list[ProxyCall]:
        with self._lock:
            calls = self.transcript[mark:]
        return [c for c in calls if name is None or c.name == name]

    def _note_call(self, method: str, request: bytes) -> ProxyCall:
        decoded = None
        kind = self._decode.get(method)
        if kind is not None:
            try:
                decoded = kind.FromString(request)
            except Exception:  # noqa: BLE001 - an undecodable request is recorded as such
                decoded = None
        with self._lock:
            call = ProxyCall(len(self.transcript) + 1, method, "forwarded", request=decoded)
            self.transcript.append(call)
            return call

    # ------------------------------------------------------------------ forwarding
    def forward(self, method: str, request: bytes, context: grpc.ServicerContext) -> bytes:
        call = self._note_call(method, request)
        with self._lock:
            refuse = self._take(self._fail, method)
            drop = not refuse and self._take(self._drop, method)
        if refuse:
            call.outcome, call.status = "refused", "UNAVAILABLE"
            context.abort(grpc.StatusCode.UNAVAILABLE, "injected by the conformance kit: node unavailable")
        metadata = [(k, v) for k, v in context.invocation_metadata() if k not in _SKIP_METADATA]
        upstream = self.upstream.unary_unary(method, request_serializer=None, response_deserializer=None)
        try:
            response, outcome = upstream.with_call(request, metadata=metadata, timeout=30)
        except grpc.RpcError as exc:
            call.status = exc.code().name
            context.set_trailing_metadata(exc.trailing_metadata() or ())
            context.abort(exc.code(), exc.details() or "")
        if drop:
            call.outcome, call.status = "reply-dropped", "UNAVAILABLE"
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
