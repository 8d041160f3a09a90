"""A vendor's node as the suite sees it: a real gRPC server of its own, in front of the kit's
reference node, that forwards every call (unary and streaming) and lets a mutant cut corners the
way a careless or dishonest product would — re-sign a call with the operator's credential, answer
from a cache, acknowledge without storing, rewrite an answer or an error.

The proxy plays the vendor's node, so it holds what such a node holds: the credentials of every
terminal it registered (``identities``) and the operator's. A call the mutant leaves alone goes
upstream byte for byte with its own signature; a call it changes is signed anew, as the terminal
that sent it or as whoever the mutant chooses.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any, NoReturn

import grpc
from google.protobuf import message_factory
from google.protobuf.message import Message

from reference_node.auth import H_NONCE, H_SIGNATURE, H_TERMINAL, H_TIMESTAMP, sign
from reference_node.client import Credentials, trailers_of
from reference_node.proto.ehc.node.v1 import (
    common_pb2,
    issuance_pb2,
    main_index_pb2,
    registry_pb2,
    supervision_pb2,
    usage_pb2,
    verification_pb2,
)

_SKIP_METADATA = {
    "content-type",
    "user-agent",
    "te",
    "grpc-accept-encoding",
    "grpc-encoding",
    "accept-encoding",
}
_SIGNATURE_HEADERS = {H_TERMINAL, H_TIMESTAMP, H_NONCE, H_SIGNATURE}
_MAX = 64 * 1024 * 1024


def _methods() -> dict[str, tuple[type[Message], type[Message], bool]]:
    """/package.Service/Method -> (request class, response class, streaming)."""
    out: dict[str, tuple[type[Message], type[Message], bool]] = {}
    for module in (issuance_pb2, main_index_pb2, verification_pb2, usage_pb2, registry_pb2, supervision_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            for m in service.methods:
                out[f"/{service.full_name}/{m.name}"] = (
                    message_factory.GetMessageClass(m.input_type),
                    message_factory.GetMessageClass(m.output_type),
                    m.client_streaming or m.server_streaming,
                )
    return out


METHODS = _methods()


class Refusal(Exception):
    """An upstream (or invented) refusal: gRPC status, details and the kit's trailing metadata."""

    def __init__(self, code: grpc.StatusCode, details: str, trailers: tuple = ()) -> None:
        super().__init__(details)
        self.code, self.details, self.trailers = code, details, tuple(trailers)

    def error_info(self) -> common_pb2.ErrorInfo | None:
        raw = dict(self.trailers).get("ehc-error-bin")
        return common_pb2.ErrorInfo.FromString(raw) if raw else None

    @property
    def kit_code(self) -> str:
        info = self.error_info()
        return info.code if info else ""

    def with_message(self, message: str) -> Refusal:
        """The same refusal with another message (in the details and the ErrorInfo trailer)."""
        info = self.error_info() or common_pb2.ErrorInfo()
        info.message = message
        trailers = [(k, v) for k, v in self.trailers if k != "ehc-error-bin"]
        trailers.append(("ehc-error-bin", info.SerializeToString()))
        return Refusal(self.code, message, tuple(trailers))


@dataclass
class Call:
    """One unary call as the vendor's node received it."""

    method: str  # /ehc.node.v1.Service/Method
    raw: bytes
    metadata: list[tuple[str, Any]]
    request: Any
    response_type: type[Message]
    signer: str  # x-ehc-terminal of the incoming signature
    sign_as: Credentials | None = None  # set by a mutant: forward signed as this identity
    answer: Any = None  # set by a mutant: answer this without asking the node
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.method.rsplit("/", 1)[1]


class VendorNode:
    """Base of every node mutant (subclasses override the ``on_*`` hooks)."""

    mutant_name = ""
    description = ""
    defect_class = ""
    catches: tuple[str, ...] = ()
    profile = "national"

    def __init__(self, upstream: str, identities: dict[str, Credentials], tls: Any = None) -> None:
        """``tls``: TEST-ONLY material (``conformance_tests.tlsmaterial``) to serve TLS with; the
        suite then trusts its CA (``self.tls``, a client-side TlsConfig)."""
        self.channel = grpc.insecure_channel(
            upstream,
            options=[("grpc.max_receive_message_length", _MAX), ("grpc.max_send_message_length", _MAX)],
        )
        self.identities = dict(identities)
        self.admin = identities["admin"]
        self.by_terminal = {c.terminal_id: c for c in identities.values()}
        self.lock = threading.Lock()
        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=16),
            options=[("grpc.max_receive_message_length", _MAX), ("grpc.max_send_message_length", _MAX)],
        )
        self.server.add_generic_rpc_handlers((_Handler(self),))
        self.tls = None
        if tls is not None:  # the vendor's node serves TLS, as the reference does
            from reference_node.client import TlsConfig

            credentials = grpc.ssl_server_credentials([(tls.server_key, tls.server_cert)])
            self.port = self.server.add_secure_port("127.0.0.1:0", credentials)
            self.tls = TlsConfig(ca=tls.ca)
        else:
            self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.target = f"127.0.0.1:{self.port}"
        self.server.start()

    # ---------------------------------------------------------------- hooks
    def on_request(self, call: Call) -> None:
        """Change ``call.request``, set ``call.sign_as`` or ``call.answer``."""

    def on_response(self, call: Call, response: Any) -> Any:
        return response

    def on_refusal(self, call: Call, refusal: Refusal) -> Any:
        """Return a response to turn the refusal into an answer, or raise a refusal."""
        raise refusal

    def on_stream(self, method: str, metadata: list, requests: Iterator[bytes]) -> Iterator[bytes]:
        """A streaming call: forwarded unchanged by default."""
        return self.forward_stream(method, metadata, requests)

    # ---------------------------------------------------------------- forwarding
    def caller(self, terminal_id: str) -> Credentials | None:
        return self.by_terminal.get(terminal_id)

    def forward(self, call: Call) -> Any:
        raw = call.request.SerializeToString()
        metadata = call.metadata
        creds = call.sign_as
        if creds is None and raw != call.raw:
            creds = self.caller(call.signer)  # changed: sign anew as the sender
        if creds is not None:
            metadata = [(k, v) for k, v in metadata if k not in _SIGNATURE_HEADERS]
            metadata += list(sign(creds.secret, call.method, raw, terminal_id=creds.terminal_id).items())
        else:
            raw = call.raw
        rpc: grpc.UnaryUnaryMultiCallable[bytes, bytes] = self.channel.unary_unary(
            call.method, request_serializer=None, response_deserializer=None
        )
        try:
            body = rpc(raw, metadata=tuple(metadata), timeout=30)
        except grpc.RpcError as exc:
            raise Refusal(exc.code(), exc.details() or "", trailers_of(exc)) from None
        return call.response_type.FromString(body)

    def call_as(self, creds: Credentials, method: str, request: Any) -> Any:
        """A call of the vendor's own (e.g. a look-up as the operator); raises Refusal."""
        _, response_type, _ = METHODS[method]
        call = Call(method, b"", [], request, response_type, creds.terminal_id, sign_as=creds)
        return self.forward(call)

    def forward_stream(
        self, method: str, metadata: list, requests: Iterator[bytes], sign_as: Credentials | None = None
    ) -> Iterator[bytes]:
        if sign_as is not None:
            metadata = [(k, v) for k, v in metadata if k not in _SIGNATURE_HEADERS]
            metadata += list(sign(sign_as.secret, method, None, terminal_id=sign_as.terminal_id).items())
        rpc: grpc.StreamStreamMultiCallable[bytes, bytes] = self.channel.stream_stream(
            method, request_serializer=None, response_deserializer=None
        )
        try:
            yield from rpc(requests, metadata=tuple(metadata), timeout=120)
        except grpc.RpcError as exc:
            raise Refusal(exc.code(), exc.details() or "", trailers_of(exc)) from None

    def lockstep_stream(
        self, method: str, metadata: list, requests: Iterator[bytes], decide: Callable[[bytes], bytes | None]
    ) -> Iterator[bytes]:
        """Forward a one-answer-per-request stream request by request; ``decide(raw)`` returns an
        answer of the vendor's own (the request never reaches the node) or None to forward it."""
        pending: queue.Queue = queue.Queue()
        done = object()

        def upstream_requests() -> Iterator[bytes]:
            while (item := pending.get()) is not done:
                yield item

        answers: Iterator[bytes] | None = None
        try:
            for raw in requests:
                own = decide(raw)
                if own is not None:
                    yield own
                    continue
                if answers is None:
                    answers = iter(self.forward_stream(method, metadata, upstream_requests()))
                pending.put(raw)
                yield next(answers)
        finally:
            pending.put(done)
            if answers is not None:
                for _ in answers:  # drain so the upstream call ends cleanly
                    pass

    def close(self) -> None:
        self.server.stop(1)
        self.channel.close()


class _Handler(grpc.GenericRpcHandler):
    def __init__(self, node: VendorNode) -> None:
        self.node = node

    def service(self, handler_call_details: Any) -> grpc.RpcMethodHandler | None:
        method = handler_call_details.method
        entry = METHODS.get(method)
        node = self.node
        if method.endswith("/ServerReflectionInfo"):  # reflection (a bidi stream): pass-through

            def reflect(requests: Iterator[bytes], context: grpc.ServicerContext) -> Iterator[bytes]:
                try:
                    yield from node.forward_stream(method, _metadata(context), requests)
                except Refusal as refusal:
                    _abort(context, refusal)

            return grpc.stream_stream_rpc_method_handler(reflect)
        if entry is None:  # health check: plain pass-through

            def passthrough(raw: bytes, context: grpc.ServicerContext) -> bytes:
                return _forward_raw(node, method, raw, context)

            return grpc.unary_unary_rpc_method_handler(passthrough)
        request_type, response_type, streaming = entry
        if streaming:

            def stream(requests: Iterator[bytes], context: grpc.ServicerContext) -> Iterator[bytes]:
                try:
                    yield from node.on_stream(method, _metadata(context), requests)
                except Refusal as refusal:
                    _abort(context, refusal)

            return grpc.stream_stream_rpc_method_handler(stream)

        def unary(raw: bytes, context: grpc.ServicerContext) -> bytes:
            meta = _metadata(context)
            try:
                request = request_type.FromString(raw)
            except Exception:  # noqa: BLE001 - undecodable: the node refuses it, unchanged
                return _forward_raw(node, method, raw, context)
            call = Call(method, raw, meta, request, response_type, dict(meta).get(H_TERMINAL, ""))
            try:
                node.on_request(call)
                if call.answer is not None:
                    return call.answer.SerializeToString()
                try:
                    response = node.forward(call)
                except Refusal as refusal:
                    response = node.on_refusal(call, refusal)
                return node.on_response(call, response).SerializeToString()
            except Refusal as refusal:
                _abort(context, refusal)

        return grpc.unary_unary_rpc_method_handler(unary)


def _metadata(context: grpc.ServicerContext) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in context.invocation_metadata() if k not in _SKIP_METADATA]


def _abort(context: grpc.ServicerContext, refusal: Refusal) -> NoReturn:
    context.set_trailing_metadata(refusal.trailers)
    context.abort(refusal.code, refusal.details)


def _forward_raw(node: VendorNode, method: str, raw: bytes, context: grpc.ServicerContext) -> bytes:
    """The call as received, to the node (health checks, undecodable requests)."""
    rpc: grpc.UnaryUnaryMultiCallable[bytes, bytes] = node.channel.unary_unary(
        method, request_serializer=None, response_deserializer=None
    )
    try:
        return rpc(raw, metadata=tuple(_metadata(context)), timeout=30)
    except grpc.RpcError as exc:
        _abort(context, Refusal(exc.code(), exc.details() or "", trailers_of(exc)))
