"""The front-end server: the node's gRPC API ``ehc.node.v1`` served to the hospital's terminals and
HIS, relayed to the city node under the hospital's credential.

Identity model (docs/frontend.md): upstream, every call is signed by ONE terminal of the hospital
(the credential in ``--client-file``: register the front-end at the node as a terminal of the
hospital's organisation). The node refuses a context naming another terminal, so the relay
replaces ``context.terminal_id`` / ``UsageRecord.terminal_id`` with its own id after checking
that the caller named itself (or nothing) and the hospital's organisation; the real terminal id
is kept in the front-end's relay log next to the node's verification id / the report's request
id. Other context fields (city, channel, step, scene, department) and the record's PSAM number
pass through unchanged.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.message import Message
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from ehc.errors import EhcError
from ehc.gm import sm3
from reference_node import validation as v
from reference_node.auth import H_ON_BEHALF_OF, text_metadata
from reference_node.client import (
    Credentials,
    NodeClient,
    SigningInterceptor,
    TlsConfig,
    error_of,
    trailers_of,
)
from reference_node.config import CHINA_STANDARD_TIME, NodeConfig
from reference_node.errors import (
    CONTEXT_MISMATCH,
    FIELD_BAD_FORMAT,
    FORBIDDEN_ORG,
    FORBIDDEN_ORGANISATION,
    INTERNAL,
)
from reference_node.frontend.auth import FrontendAuthenticator
from reference_node.frontend.cache import STATUS_BY_REFUSAL, VerificationCache
from reference_node.frontend.errors import NOT_RELAYED, UPSTREAM_UNAVAILABLE, status_of
from reference_node.frontend.forwarder import Forwarder, behalf
from reference_node.frontend.store import FrontendStore
from reference_node.observability import log
from reference_node.proto.ehc.node.v1 import (
    common_pb2,
    issuance_pb2,
    main_index_pb2,
    registry_pb2,
    settlement_pb2,
    supervision_pb2,
    usage_pb2,
    verification_pb2,
)

LOG = logging.getLogger("reference_node.frontend")
PACKAGE = "ehc.node.v1"
# settlement (the TEST-ONLY point-of-care payment service) passes straight through: a payment is
# answered by the node or not at all (never cached, never stored and forwarded); a retry with the same
# request id charges once at the node
RELAYED_MODULES = (issuance_pb2, main_index_pb2, verification_pb2, usage_pb2, settlement_pb2)
REFUSED_MODULES = (registry_pb2, supervision_pb2)  # operator APIs: call the node directly
UNREACHABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
# the node's answer about the code or card itself (card refused, code unknown, malformed, expired)
ANSWERS_ABOUT_THE_CODE = (
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.INVALID_ARGUMENT,
)
VERIFY_QR = f"/{PACKAGE}.VerificationService/VerifyQr"
REPORT = f"/{PACKAGE}.UsageService/Report"
REPORT_STREAM = f"/{PACKAGE}.UsageService/ReportStream"
SOURCE_KEY = "ehc-frontend-source"
_NODE = NodeConfig()  # the node's defaults for the usage plausibility window
DELIVERY_MARGIN_DAYS = 30  # a record may wait this long here and still be plausible at the node


@dataclass(frozen=True)
class FrontendConfig:
    """Every bound of the relay (defaults in docs/frontend.md and docs/assumptions.md)."""

    cache_max_age_s: float = 300.0  # a cached static answer: at most this old (node's last word)
    poll_interval_s: float = 15.0  # status poll of cached cards (suspension bound)
    max_cards: int = 1000  # cards held in the cache (poll load <= max_cards / poll_interval_s)
    max_codes: int = 4000  # code texts held
    probe_by_verify: bool = True  # a card GetCard may not read (another org's): probe by VerifyQr
    upstream_timeout_s: float = 3.0  # deadline of a relayed unary call
    replay_window_s: int = 300
    workers: int = 16
    forward_max_backoff_s: float = 5.0
    retention_days: float = 30.0  # settled outbox rows and relay-log entries kept this long
    breaker_s: float = 5.0  # after the node failed to answer, cached static answers at once this long
    terminal_rate_per_s: float = 50.0  # calls/s per local terminal (0 = off)
    terminal_burst: int = 100


@dataclass
class _Method:
    full: str
    request: type[Message]
    response: type[Message]
    streaming: bool


def _methods(modules: tuple[Any, ...]) -> list[_Method]:
    out = []
    for module in modules:
        for service in module.DESCRIPTOR.services_by_name.values():
            for m in service.methods:
                out.append(
                    _Method(
                        f"/{service.full_name}/{m.name}",
                        message_factory.GetMessageClass(m.input_type),
                        message_factory.GetMessageClass(m.output_type),
                        m.client_streaming or m.server_streaming,
                    )
                )
    return out


def _error_metadata(err: EhcError) -> tuple[tuple[str, str | bytes], ...]:
    info = common_pb2.ErrorInfo(
        code=err.code.name,
        number=err.code.number,
        message=err.message,
        field=str(err.detail.get("field", "")),
    )
    return (
        ("ehc-error-code", err.code.name),
        ("ehc-error-number", str(err.code.number)),
        ("ehc-error-bin", info.SerializeToString()),
    )


class _Refusal(Exception):
    """An answer to pass to the terminal as a failed call: a local error or the node's."""

    def __init__(self, status: grpc.StatusCode, details: str, trailers: tuple[tuple[str, Any], ...]) -> None:
        super().__init__(details)
        self.status, self.details, self.trailers = status, details, trailers

    @classmethod
    def of(cls, err: EhcError) -> _Refusal:
        return cls(
            status_of(err.code), f"{err.code.name} ({err.code.number}): {err.message}", _error_metadata(err)
        )

    @classmethod
    def upstream(cls, exc: grpc.RpcError) -> _Refusal:
        code = exc.code() if hasattr(exc, "code") else grpc.StatusCode.UNKNOWN
        trailers = tuple((k, val) for k, val in trailers_of(exc) if k.startswith("ehc-error"))
        if code in UNREACHABLE and not trailers:
            return cls.of(EhcError(UPSTREAM_UNAVAILABLE, f"city node: {code.name}"))
        return cls(code, (exc.details() or "") if hasattr(exc, "details") else "", trailers)


def validate_usage(r: usage_pb2.UsageRecord, org_code: str, terminal_id: str) -> None:
    """The node's rules for a usage record (the same ``validation.usage_record`` the node runs),
    checked BEFORE the local ack: a record acknowledged here must not be refused upstream later."""

    def hospital_only(org: str) -> None:
        if org != org_code:
            raise EhcError(FORBIDDEN_ORG, "org_code is not the hospital's organisation", field="org_code")

    v.usage_record(r, check_org=hospital_only, own_terminal=terminal_id)
    # the node's plausibility window (REL-F21), checked when the record ARRIVES there: the age limit
    # keeps a margin for the time a record may wait here during an outage
    v.usage_time(
        r.time,
        datetime.now(CHINA_STANDARD_TIME),
        max_age_days=_NODE.usage_max_age_days - DELIVERY_MARGIN_DAYS,
        max_ahead_s=_NODE.usage_max_ahead_s,
        clock="the front-end's clock",
    )


def _static_ehcid(text: str) -> str:
    """The EHCID of a static code text ("<EHCID>:1"), "" for anything else (form only)."""
    from qr_codec import text as qrtext

    try:
        code = qrtext.parse(text)
    except EhcError:
        return ""
    return code.ehcid if code.kind == "static" else ""


@dataclass
class Frontend:
    """A running front-end server (``start_frontend``)."""

    target: str
    port: int
    config: FrontendConfig
    store: FrontendStore
    upstream: NodeClient
    cache: VerificationCache
    forwarder: Forwarder
    server: grpc.Server = field(repr=False)
    health: health.HealthServicer = field(repr=False)
    _poller: threading.Thread | None = field(default=None, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    poll_rounds: int = 0
    last_poll_s: float = 0.0

    def stop(self, grace: float = 1.0) -> None:
        self._stop.set()
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()
        self.forwarder.stop()
        if self._poller is not None:
            self._poller.join(5)
        self.upstream.close()
        self.store.close()

    def status(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "upstream": self.upstream.target,
            "outbox": self.store.counts(),
            "cache": self.cache.stats(),
            "poll_rounds": self.poll_rounds,
            "last_poll_s": round(self.last_poll_s, 3),
        }

    # ------------------------------------------------------------ status poll
    def _poll_loop(self) -> None:
        while not self._stop.wait(self.config.poll_interval_s):
            started = time.monotonic()
            try:
                self.poll_once()
            except Exception as exc:  # noqa: BLE001 - the poller must outlive one bad round
                log(LOG, logging.ERROR, "status poll failed", error=type(exc).__name__)
            self.last_poll_s = time.monotonic() - started
            self.poll_rounds += 1

    def poll_once(self) -> None:
        """Ask the node the status of every card whose answers the cache could still serve."""
        timeout = self.config.upstream_timeout_s
        for ehcid, state in self.cache.to_poll():
            if self._stop.is_set():
                return
            if state.poll_by == "getcard":
                asked_at = self.cache.clock()
                try:
                    card = self.upstream.issuance.GetCard(
                        issuance_pb2.GetCardRequest(ehcid=ehcid), timeout=timeout,
                        metadata=behalf(state.probe_terminal),
                    )  # fmt: skip
                    self.cache.card_status(ehcid, card.card.status, asked_at)
                    continue
                except grpc.RpcError as exc:
                    if exc.code() in UNREACHABLE:
                        return  # node down: the cards' answers age out on their own
                    if error_of(exc).code.name != FORBIDDEN_ORGANISATION.name:
                        continue
                    self.cache.use_verify_probe(ehcid)  # another organisation's card
            if not (self.config.probe_by_verify and state.probe_text):
                continue
            request = verification_pb2.VerifyQrRequest(
                qr_text=state.probe_text, context=common_pb2.TerminalContext.FromString(state.probe_context)
            )
            asked_at = self.cache.clock()
            try:
                self.upstream.verification.VerifyQr(
                    request, timeout=timeout, metadata=behalf(state.probe_terminal)
                )
                self.cache.card_status(ehcid, common_pb2.CARD_STATUS_NORMAL, asked_at)
            except grpc.RpcError as exc:
                if exc.code() in UNREACHABLE:
                    return
                if exc.code() not in ANSWERS_ABOUT_THE_CODE:
                    continue  # rate limit, credential: nothing learnt about the card
                name = error_of(exc).code.name
                if name in STATUS_BY_REFUSAL:
                    self.cache.card_status(ehcid, STATUS_BY_REFUSAL[name])
                else:
                    self.cache.forget_code(state.probe_text)


class _Relay(grpc.GenericRpcHandler):
    def __init__(self, fe: _State) -> None:
        self.fe = fe
        self._handlers: dict[str, grpc.RpcMethodHandler] = {}
        for m in _methods(RELAYED_MODULES):
            h: grpc.RpcMethodHandler[Any, Any]
            if m.full == VERIFY_QR:
                h = grpc.unary_unary_rpc_method_handler(self._unary(m, fe.verify_qr), None, _serialize)
            elif m.full == REPORT:
                h = grpc.unary_unary_rpc_method_handler(self._unary(m, fe.report), None, _serialize)
            elif m.full == REPORT_STREAM:
                h = grpc.stream_stream_rpc_method_handler(
                    self._report_stream(m), m.request.FromString, _serialize
                )
            elif m.streaming:
                h = grpc.stream_stream_rpc_method_handler(
                    self._pass_stream(m), m.request.FromString, _serialize
                )
            else:
                h = grpc.unary_unary_rpc_method_handler(self._unary(m, fe.pass_unary), None, _serialize)
            self._handlers[m.full] = h
        for m in _methods(REFUSED_MODULES):
            self._handlers[m.full] = grpc.unary_unary_rpc_method_handler(
                self._not_relayed(m), None, _serialize
            )

    def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        return self._handlers.get(details.method)

    def _unary(self, m: _Method, op: Callable[[_Method, str, Any, grpc.ServicerContext], Any]) -> Callable:
        def behaviour(raw: bytes, context: grpc.ServicerContext) -> Any:
            try:
                terminal = self.fe.auth.authenticate(
                    m.full, text_metadata(context.invocation_metadata()), raw
                )
                try:
                    request = m.request.FromString(raw)
                except Exception:  # noqa: BLE001 - undecodable bytes are a client error
                    raise EhcError(FIELD_BAD_FORMAT, "request is not a valid protobuf message") from None
                return op(m, terminal, request, context)
            except EhcError as err:
                refusal = _Refusal.of(err)
            except _Refusal as r:
                refusal = r
            except Exception as exc:  # noqa: BLE001 - never a stack trace to the client
                ref = uuid.uuid4().hex[:12]
                log(LOG, logging.ERROR, "internal error", method=m.full, ref=ref, error=type(exc).__name__)
                refusal = _Refusal.of(EhcError(INTERNAL, f"internal error, reference {ref}"))
            context.set_trailing_metadata(refusal.trailers)
            context.abort(refusal.status, refusal.details)

        return behaviour

    def _not_relayed(self, m: _Method) -> Callable:
        def behaviour(raw: bytes, context: grpc.ServicerContext) -> Any:
            refusal = _Refusal.of(
                EhcError(NOT_RELAYED, f"{m.full} is an operator API: call the city node directly")
            )
            context.set_trailing_metadata(refusal.trailers)
            context.abort(refusal.status, refusal.details)

        return behaviour

    def _report_stream(self, m: _Method) -> Callable:
        def behaviour(requests: Iterator[Any], context: grpc.ServicerContext) -> Iterator[Any]:
            try:
                terminal = self.fe.auth.authenticate(
                    m.full, text_metadata(context.invocation_metadata()), None
                )
            except EhcError as err:
                refusal = _Refusal.of(err)
                context.set_trailing_metadata(refusal.trailers)
                context.abort(refusal.status, refusal.details)
            for record in requests:
                try:
                    yield self.fe.store_usage(terminal, record)
                except EhcError as err:
                    yield usage_pb2.ReportAck(
                        request_id=record.request_id[:64],
                        accepted=False,
                        error=common_pb2.ErrorInfo(
                            code=err.code.name, number=err.code.number, message=err.message,
                            field=str(err.detail.get("field", "")),
                        ),
                    )  # fmt: skip

        return behaviour

    def _pass_stream(self, m: _Method) -> Callable:
        def behaviour(requests: Iterator[Any], context: grpc.ServicerContext) -> Iterator[Any]:
            refusal = None
            try:
                terminal = self.fe.auth.authenticate(
                    m.full, text_metadata(context.invocation_metadata()), None
                )
                call = self.fe.upstream.channel.stream_stream(
                    m.full, request_serializer=_serialize, response_deserializer=m.response.FromString
                )

                bad: list[EhcError] = []

                def upstream_requests() -> Iterator[Any]:
                    # runs in gRPC's sending thread: a refusal ends the stream here, reported after
                    for r in requests:
                        try:
                            self.fe.rewrite_context(r, terminal)
                        except EhcError as err:
                            bad.append(err)
                            return
                        yield r

                try:
                    yield from call(upstream_requests(), metadata=behalf(terminal))
                except grpc.RpcError as exc:
                    self.fe.standing.node_refused(terminal, exc)
                    raise
                self.fe.standing.node_accepted(terminal)
                if bad:
                    raise bad[0]
                self.fe.store.log(terminal, m.full.rsplit("/", 1)[1], "upstream", "OK")
            except EhcError as err:
                refusal = _Refusal.of(err)
            except grpc.RpcError as exc:
                refusal = _Refusal.upstream(exc)
            if refusal is not None:
                context.set_trailing_metadata(refusal.trailers)
                context.abort(refusal.status, refusal.details)

        return behaviour


class TerminalStanding:
    """The node's last word on each local terminal (H7). A cached answer is given only to a
    terminal a call relayed for it was accepted by the node within ``max_age_s`` (the cache's own
    bound); a terminal the node refused (not certified, revoked: the refusal names
    x-ehc-on-behalf-of) gets that refusal from the front-end, cache and usage acks included,
    until the node accepts it again."""

    def __init__(self, max_age_s: float, clock: Callable[[], float]) -> None:
        self.max_age_s = max_age_s
        self.clock = clock
        self._accepted: dict[str, float] = {}
        self._refused: dict[str, EhcError] = {}
        self._lock = threading.Lock()

    def node_accepted(self, terminal: str) -> None:
        with self._lock:
            self._accepted[terminal] = self.clock()
            self._refused.pop(terminal, None)

    def node_refused(self, terminal: str, exc: grpc.RpcError) -> None:
        if exc.code() in UNREACHABLE:
            return
        err = error_of(exc)
        if err.detail.get("field") != H_ON_BEHALF_OF:
            return  # about the request or the front-end, not about the terminal
        with self._lock:
            self._accepted.pop(terminal, None)
            self._refused[terminal] = err

    def check_not_refused(self, terminal: str) -> None:
        with self._lock:
            err = self._refused.get(terminal)
        if err is not None:
            raise EhcError(err.code, f"{err.message} (the node's last word on this terminal)")

    def check(self, terminal: str) -> None:
        self.check_not_refused(terminal)
        with self._lock:
            at = self._accepted.get(terminal)
        if at is None or self.clock() - at > self.max_age_s:
            raise EhcError(
                UPSTREAM_UNAVAILABLE,
                "city node not reachable; it has not accepted this terminal within the cache bound",
            )


def _serialize(message: Any) -> bytes:
    return message.SerializeToString()


class _State:
    """What the handlers share: the hospital's identity, the store, the cache, the upstream."""

    def __init__(self, config: FrontendConfig, store: FrontendStore, upstream: NodeClient,
                 cache: VerificationCache, forwarder: Forwarder) -> None:  # fmt: skip
        self.config = config
        self.store = store
        self.upstream = upstream
        self.cache = cache
        self.forwarder = forwarder
        self.auth = FrontendAuthenticator(
            store, config.replay_window_s, rate_per_s=config.terminal_rate_per_s, burst=config.terminal_burst
        )
        self.me = upstream.credentials.terminal_id
        self.org = upstream.credentials.org_code
        self._calls: dict[str, Any] = {}
        self._down_until = 0.0  # monotonic: until then a cached static answer is given without asking
        self.standing = TerminalStanding(config.cache_max_age_s, cache.clock)

    def rewrite_context(self, request: Any, terminal: str) -> None:
        """The caller names itself (or nothing) and the hospital; upstream the front-end signs.
        A RegisterChunk's records carry their own contexts: each is rewritten."""
        fields = request.DESCRIPTOR.fields_by_name
        if "records" in fields and fields["records"].message_type is not None:
            for record in request.records:
                self.rewrite_context(record, terminal)
        if "context" not in fields:
            return
        ctx = request.context
        if ctx.terminal_id and ctx.terminal_id != terminal:
            raise EhcError(
                CONTEXT_MISMATCH,
                "context.terminal_id is not the signing terminal",
                field="context.terminal_id",
            )
        if ctx.org_code and ctx.org_code != self.org:
            raise EhcError(
                CONTEXT_MISMATCH,
                "context.org_code is not the hospital's organisation",
                field="context.org_code",
            )
        ctx.terminal_id = self.me
        ctx.org_code = self.org

    def _call(self, m: _Method) -> Any:
        call = self._calls.get(m.full)
        if call is None:
            call = self._calls[m.full] = self.upstream.channel.unary_unary(
                m.full, request_serializer=_serialize, response_deserializer=m.response.FromString
            )
        return call

    def pass_unary(self, m: _Method, terminal: str, request: Any, context: grpc.ServicerContext) -> Any:
        self.rewrite_context(request, terminal)
        short = m.full.rsplit("/", 1)[1]
        try:
            response = self._call(m)(
                request, timeout=self.config.upstream_timeout_s, metadata=behalf(terminal)
            )
        except grpc.RpcError as exc:
            self.standing.node_refused(terminal, exc)
            refusal = _Refusal.upstream(exc)
            self.store.log(terminal, short, "upstream", str(refusal.status.name))
            raise refusal from None
        self.standing.node_accepted(terminal)
        if isinstance(response, issuance_pb2.CardResponse) and response.card.ehcid:
            self.cache.card_status(response.card.ehcid, response.card.status)  # e.g. Suspend via the relay
        self.store.log(terminal, short, "upstream", "OK")
        return response

    def verify_qr(self, m: _Method, terminal: str, request: Any, context: grpc.ServicerContext) -> Any:
        self.rewrite_context(request, terminal)
        asked_at = self.cache.clock()
        if time.monotonic() < self._down_until and self._cached(request.qr_text):
            # the node just failed to answer: do not make every terminal wait out the timeout again
            return self._from_cache(terminal, request.qr_text, context)
        try:
            response = self._call(m)(
                request, timeout=self.config.upstream_timeout_s, metadata=behalf(terminal)
            )
        except grpc.RpcError as exc:
            self.standing.node_refused(terminal, exc)
            refusal = _Refusal.upstream(exc)
            if exc.code() in UNREACHABLE:
                self._down_until = time.monotonic() + self.config.breaker_s
                return self._from_cache(terminal, request.qr_text, context)
            name = error_of(exc).code.name
            if exc.code() in ANSWERS_ABOUT_THE_CODE:  # not a rate limit or a credential problem
                self.cache.refused(request.qr_text, _static_ehcid(request.qr_text), name)
            self.store.log(terminal, "VerifyQr", "upstream", name)
            raise refusal from None
        self._down_until = 0.0
        self.standing.node_accepted(terminal)
        self.cache.accepted(
            request.qr_text, response, request.context.SerializeToString(), asked_at, terminal=terminal
        )
        self.store.log(terminal, "VerifyQr", "upstream", "OK", response.verification_id)
        context.set_trailing_metadata(((SOURCE_KEY, "upstream"),))
        return response

    def _cached(self, qr_text: str) -> bool:
        """The cache has an answer (an acceptance within the bound, or a refusal) for this code."""
        try:
            return self.cache.lookup(qr_text) is not None
        except EhcError:
            return True

    def _from_cache(self, terminal: str, qr_text: str, context: grpc.ServicerContext) -> Any:
        try:
            # H7: the node's last word on the TERMINAL first: a cache vouches for the card, never
            # for a terminal the node refused or did not accept within the bound
            self.standing.check(terminal)
            hit = self.cache.lookup(qr_text)
        except EhcError as err:
            self.store.log(terminal, "VerifyQr", "cache", err.code.name)
            raise
        if hit is None:
            self.store.log(terminal, "VerifyQr", "cache", UPSTREAM_UNAVAILABLE.name)
            raise EhcError(UPSTREAM_UNAVAILABLE, "city node not reachable; no cached answer within the bound")
        response = hit.response
        response.verification_id = "FE" + uuid.uuid4().hex[:30].upper()  # not a node id: never recorded there
        self.store.log(terminal, "VerifyQr", "cache", "OK", response.verification_id)
        context.set_trailing_metadata(
            ((SOURCE_KEY, "cache"), ("ehc-frontend-age-ms", str(int(hit.age_s * 1000))))
        )
        return response

    def store_usage(self, terminal: str, r: usage_pb2.UsageRecord) -> usage_pb2.ReportAck:
        self.standing.check_not_refused(terminal)  # H7: the node refused this terminal: no ack
        validate_usage(r, self.org, terminal)
        out = usage_pb2.UsageRecord()
        out.CopyFrom(r)
        out.terminal_id = self.me  # upstream the front-end reports; the real terminal stays in the outbox
        raw = out.SerializeToString(deterministic=True)
        seq, duplicate = self.store.enqueue(r.request_id, terminal, r.ehcid, sm3(raw).hex(), raw)
        # committed (WAL fsync'd) before this ack exists
        self.forwarder.wake()
        return usage_pb2.ReportAck(
            request_id=r.request_id, accepted=not duplicate, duplicate=duplicate, usage_id=f"fe-{seq}"
        )

    def report(self, m: _Method, terminal: str, request: Any, context: grpc.ServicerContext) -> Any:
        return self.store_usage(terminal, request)


RECONNECT_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 250),
    ("grpc.min_reconnect_backoff_ms", 250),
    ("grpc.max_reconnect_backoff_ms", 2000),
]


def upstream_client(target: str, credentials: Credentials, tls: TlsConfig | None = None) -> NodeClient:
    """A NodeClient whose channel redials the node at least every 2 s: gRPC's default backoff grows
    to 120 s, so after a long outage the backlog and the cache would wait up to two minutes more."""
    from reference_node.client import MAX_MESSAGE
    from reference_node.proto.ehc.node.v1 import (
        issuance_pb2_grpc,
        main_index_pb2_grpc,
        registry_pb2_grpc,
        usage_pb2_grpc,
        verification_pb2_grpc,
    )

    nc = NodeClient(target, credentials, tls=tls)
    nc.channel.close()
    options: list[tuple[str, Any]] = [
        ("grpc.max_receive_message_length", MAX_MESSAGE),
        ("grpc.max_send_message_length", MAX_MESSAGE),
        *RECONNECT_OPTIONS,
    ]
    if tls is not None:
        raw = grpc.secure_channel(target, tls.channel_credentials(), options=options + tls.channel_options())
    else:
        raw = grpc.insecure_channel(target, options=options)
    nc.channel = grpc.intercept_channel(raw, SigningInterceptor(credentials))
    nc.issuance = issuance_pb2_grpc.IssuanceServiceStub(nc.channel)
    nc.main_index = main_index_pb2_grpc.MainIndexServiceStub(nc.channel)
    nc.verification = verification_pb2_grpc.VerificationServiceStub(nc.channel)
    nc.usage = usage_pb2_grpc.UsageServiceStub(nc.channel)
    nc.registry = registry_pb2_grpc.RegistryServiceStub(nc.channel)
    return nc


def start_frontend(
    data_dir: str | os.PathLike[str],
    upstream_target: str,
    upstream_credentials: Credentials,
    *,
    config: FrontendConfig | None = None,
    address: str = "127.0.0.1:0",
    tls: TlsConfig | None = None,
    server_tls: tuple[bytes, bytes] | None = None,
) -> Frontend:
    """Open the store, start forwarder, poller and gRPC server; writes DATA_DIR/endpoint.json."""
    config = config or FrontendConfig()
    data = Path(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    store = FrontendStore(data / "frontend.db")
    upstream = upstream_client(upstream_target, upstream_credentials, tls)
    cache = VerificationCache(config.cache_max_age_s, max_cards=config.max_cards, max_codes=config.max_codes)
    forwarder = Forwarder(store, upstream, call_timeout_s=config.upstream_timeout_s,
                          max_backoff_s=config.forward_max_backoff_s, retention_s=config.retention_days * 86400)  # fmt: skip
    state = _State(config, store, upstream, cache, forwarder)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="frontend"),
        maximum_concurrent_rpcs=1024,
        options=[("grpc.so_reuseport", 0)],
    )
    server.add_generic_rpc_handlers((_Relay(state),))
    health_servicer = health.HealthServicer(experimental_non_blocking=True)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    if server_tls is not None:
        port = server.add_secure_port(address, grpc.ssl_server_credentials([server_tls]))
    else:
        port = server.add_insecure_port(address)
    server.start()
    forwarder.start()
    host = address.rsplit(":", 1)[0]
    host = "127.0.0.1" if host in ("0.0.0.0", "[::]", "") else host
    fe = Frontend(f"{host}:{port}", port, config, store, upstream, cache, forwarder, server, health_servicer)
    fe._poller = threading.Thread(target=fe._poll_loop, name="frontend-poller", daemon=True)
    fe._poller.start()
    (data / "endpoint.json").write_text(json.dumps({"target": fe.target, "pid": os.getpid()}))
    log(LOG, logging.INFO, "front-end listening", grpc=fe.target, upstream=upstream_target,
        terminal=state.me, pending=store.counts()["pending"])  # fmt: skip
    return fe
