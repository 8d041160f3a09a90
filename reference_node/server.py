"""The gRPC server: one generic handler per service, authentication on the raw request bytes,
errors as gRPC status + the kit's code in trailing metadata, health and reflection.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.message import Message
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from ehc.errors import EhcError
from reference_node.auth import Authenticator
from reference_node.errors import INTERNAL, PORT_BUSY, STREAM_TIMEOUT, grpc_status
from reference_node.node import Caller, Node
from reference_node.observability import log
from reference_node.proto.ehc.node.v1 import (
    common_pb2,
    issuance_pb2,
    main_index_pb2,
    registry_pb2,
    usage_pb2,
    verification_pb2,
)
from reference_node.services import issuance, main_index, registry, usage, verification
from reference_node.streams import StreamGuard

LOG = logging.getLogger("reference_node")
PACKAGE = "ehc.node.v1"
MAX_MESSAGE = 64 * 1024 * 1024  # largest message the node sends (a QueryUsage page, GetAudit)

# service -> method -> (operation, request type, kind) ; kind: unary | stream (bidi)
Operation = Callable[[Node, Caller, Any], Any]
SERVICES: dict[str, dict[str, tuple[Operation, type[Message], str]]] = {
    "IssuanceService": {
        "Register": (issuance.register, issuance_pb2.RegisterRequest, "unary"),
        "RegisterBatch": (issuance.register_batch, issuance_pb2.RegisterRequest, "stream"),
        "RegisterBatchChunks": (issuance.register_batch_chunks, issuance_pb2.RegisterChunk, "stream"),
        "RegisterNewborn": (issuance.register_newborn, issuance_pb2.RegisterNewbornRequest, "unary"),
        "UpgradeTemporary": (issuance.upgrade_temporary, issuance_pb2.UpgradeTemporaryRequest, "unary"),
        "GetQrCode": (issuance.get_qr_code, issuance_pb2.GetQrCodeRequest, "unary"),
        "Suspend": (issuance.suspend, issuance_pb2.CardActionRequest, "unary"),
        "Resume": (issuance.resume, issuance_pb2.CardActionRequest, "unary"),
        "Cancel": (issuance.cancel, issuance_pb2.CardActionRequest, "unary"),
        "Modify": (issuance.modify, issuance_pb2.ModifyRequest, "unary"),
        "BindFamily": (issuance.bind_family, issuance_pb2.BindFamilyRequest, "unary"),
        "UnbindFamily": (issuance.unbind_family, issuance_pb2.BindFamilyRequest, "unary"),
        "GetCard": (issuance.get_card, issuance_pb2.GetCardRequest, "unary"),
        "Query": (issuance.query, issuance_pb2.QueryRequest, "unary"),
    },
    "MainIndexService": {
        "Resolve": (main_index.resolve, main_index_pb2.ResolveRequest, "unary"),
        "LinkMedium": (main_index.link_medium, main_index_pb2.LinkMediumRequest, "unary"),
        "UnlinkMedium": (main_index.unlink_medium, main_index_pb2.LinkMediumRequest, "unary"),
        "Merge": (main_index.merge, main_index_pb2.MergeRequest, "unary"),
        "Unmerge": (main_index.unmerge, main_index_pb2.UnmergeRequest, "unary"),
        "GetAudit": (main_index.get_audit, main_index_pb2.GetAuditRequest, "unary"),
    },
    "VerificationService": {
        "VerifyQr": (verification.verify_qr, verification_pb2.VerifyQrRequest, "unary"),
        "VerifyChipCard": (verification.verify_chip_card, verification_pb2.VerifyChipCardRequest, "unary"),
    },
    "UsageService": {
        "Report": (usage.report, usage_pb2.UsageRecord, "unary"),
        "ReportStream": (usage.report_stream, usage_pb2.UsageRecord, "stream"),
        "QueryUsage": (usage.query_usage, usage_pb2.QueryUsageRequest, "unary"),
    },
    "RegistryService": {
        "UpsertOrganisation": (registry.upsert_organisation, registry_pb2.Organisation, "unary"),
        "GetOrganisation": (registry.get_organisation, registry_pb2.GetOrganisationRequest, "unary"),
        "ListOrganisations": (registry.list_organisations, registry_pb2.ListOrganisationsRequest, "unary"),
        "UpsertTerminal": (registry.upsert_terminal, registry_pb2.Terminal, "unary"),
        "GetTerminal": (registry.get_terminal, registry_pb2.GetTerminalRequest, "unary"),
        "ListTerminals": (registry.list_terminals, registry_pb2.ListTerminalsRequest, "unary"),
        "IssueCredential": (registry.issue_credential, registry_pb2.IssueCredentialRequest, "unary"),
        "RevokeCredential": (registry.revoke_credential, registry_pb2.IssueCredentialRequest, "unary"),
        "TrustLabKey": (registry.trust_lab_key, registry_pb2.TrustLabKeyRequest, "unary"),
        "AddCertificate": (registry.add_certificate, registry_pb2.AddCertificateRequest, "unary"),
        "RevokeCertificate": (registry.revoke_certificate, registry_pb2.RevokeCertificateRequest, "unary"),
        "ListCertificates": (registry.list_certificates, registry_pb2.ListCertificatesRequest, "unary"),
    },
}
SERVICE_NAMES = tuple(f"{PACKAGE}.{s}" for s in SERVICES)  # the core services


def register_service(service: str, methods: dict[str, tuple[Operation, type[Message], str]]) -> None:
    """Add a service of package ehc.node.v1 (an extension: see ``reference_node.extensions``).
    ``methods``: name -> (operation(node, caller, request), request type, "unary" | "stream").
    Its pb2 module must be imported (reflection finds it in the default descriptor pool)."""
    SERVICES[service] = dict(methods)


def service_names() -> tuple[str, ...]:
    return tuple(f"{PACKAGE}.{s}" for s in SERVICES)


def error_metadata(err: EhcError) -> tuple[tuple[str, str | bytes], ...]:
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


def _abort(context: grpc.ServicerContext, err: EhcError) -> None:
    context.set_trailing_metadata(error_metadata(err))
    context.abort(grpc_status(err.code), f"{err.code.name} ({err.code.number}): {err.message}")


class _Handlers(grpc.GenericRpcHandler):
    def __init__(self, node: Node, auth: Authenticator, streams: StreamGuard) -> None:
        self._handlers: dict[str, grpc.RpcMethodHandler] = {}
        for service, methods in SERVICES.items():
            for name, (op, req_type, kind) in methods.items():
                full = f"/{PACKAGE}.{service}/{name}"
                handler: grpc.RpcMethodHandler[Any, Any]
                if kind == "unary":
                    handler = grpc.unary_unary_rpc_method_handler(
                        _unary(node, auth, full, op, req_type),
                        request_deserializer=None,
                        response_serializer=_serialize,
                    )
                else:
                    handler = grpc.stream_stream_rpc_method_handler(
                        _stream(node, auth, streams, full, op),
                        request_deserializer=req_type.FromString,
                        response_serializer=_serialize,
                    )
                self._handlers[full] = handler

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        return self._handlers.get(handler_call_details.method)


def _lock_wait_ms(node: Node, context: grpc.ServicerContext) -> int | None:
    """How long this call may wait for a locked store (REL-F6): the configured request wait, and
    at most half of what is left of the call's deadline, so the caller gets UNAVAILABLE +
    NODE_STORE_ERROR in time to act on it rather than DEADLINE_EXCEEDED."""
    remaining = context.time_remaining()
    if remaining is None:
        return None  # no deadline: the configured request wait
    return max(1, min(node.db.request_wait_ms, int(remaining * 500)))


def _serialize(message: Any) -> bytes:
    return message.SerializeToString()


def _unary(node: Node, auth: Authenticator, full: str, op: Operation, req_type: type[Message]) -> Callable:
    short = full.rsplit("/", 1)[1]
    metrics = node.metrics
    # this method's "OK" counter and latency histogram, looked up on its first call (not at start:
    # an uncalled method shows no series) and kept: no label lookup per call (issue #14)
    ok_count: Any = None
    latency: Any = None

    def behaviour(raw: bytes, context: grpc.ServicerContext) -> Any:
        nonlocal ok_count, latency
        started = time.perf_counter()
        result = "OK"
        try:
            caller = auth.authenticate_metadata(full, context.invocation_metadata(), raw)
            try:
                request = req_type.FromString(raw)
            except Exception:  # noqa: BLE001 - undecodable bytes are a client error
                from reference_node.errors import FIELD_BAD_FORMAT

                raise EhcError(FIELD_BAD_FORMAT, "request is not a valid protobuf message") from None
            with node.db.wait_budget(_lock_wait_ms(node, context)):
                return op(node, caller, request)
        except EhcError as err:
            result = err.code.name
            _abort(context, err)
        except Exception as exc:  # noqa: BLE001 - never a stack trace to the client
            if isinstance(exc, (grpc.RpcError,)) or type(exc).__name__ == "_AbortError":
                raise
            result = INTERNAL.name
            ref = node.new_id()[:12]
            log(LOG, logging.ERROR, "internal error", method=short, ref=ref, error=type(exc).__name__)
            LOG.debug("internal error %s", ref, exc_info=True)
            _abort(context, EhcError(INTERNAL, f"internal error, reference {ref}"))
        finally:
            if result != "OK":
                metrics.inc("ehc_node_requests_total", method=short, result=result)
            else:
                if ok_count is None:
                    ok_count = metrics.child("ehc_node_requests_total", method=short, result="OK")
                ok_count.inc()
            if latency is None:
                latency = metrics.child("ehc_node_request_seconds", method=short)
            latency.observe(time.perf_counter() - started)

    return behaviour


def _stream(node: Node, auth: Authenticator, streams: StreamGuard, full: str, op: Operation) -> Callable:
    short = full.rsplit("/", 1)[1]

    def behaviour(requests: Iterator[Any], context: grpc.ServicerContext) -> Iterator[Any]:
        result = "OK"
        slot = None
        try:
            caller = auth.authenticate_metadata(full, context.invocation_metadata(), None)
            slot = streams.acquire(caller.terminal_id, context)  # REL-F16: streams cannot take every worker
            with node.db.wait_budget(_lock_wait_ms(node, context)):
                for response in op(node, caller, slot.requests(requests)):
                    yield response
                    slot.touch()
        except EhcError as err:
            result = err.code.name
            _abort(context, err)
        except Exception as exc:  # noqa: BLE001
            if type(exc).__name__ == "_AbortError":
                raise
            if slot is not None and (slot.ended_by_node or not context.is_active()):
                # ended by the stream watchdog or cancelled by the client: nothing to answer
                result = STREAM_TIMEOUT.name if slot.ended_by_node else "CANCELLED"
                return
            result = INTERNAL.name
            ref = node.new_id()[:12]
            log(LOG, logging.ERROR, "internal error", method=short, ref=ref, error=type(exc).__name__)
            _abort(context, EhcError(INTERNAL, f"internal error, reference {ref}"))
        finally:
            if slot is not None:
                streams.release(slot)
            node.metrics.inc("ehc_node_requests_total", method=short, result=result)

    return behaviour


@dataclass
class GrpcServer:
    server: grpc.Server
    port: int
    health: health.HealthServicer
    authenticator: Authenticator
    streams: StreamGuard | None = None

    def stop(self, grace: float = 2.0) -> None:
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()
        if self.streams is not None:
            self.streams.close()


def build_server(
    node: Node,
    address: str = "127.0.0.1:0",
    *,
    workers: int = 16,
    tls: tuple[bytes, bytes] | None = None,
    max_concurrent_rpcs: int | None = 1024,
    reuse_port: bool = False,
) -> GrpcServer:
    """Create and start the gRPC server on ``address`` (port 0 = any free port). ``reuse_port``:
    several node processes listen on the same port (SO_REUSEPORT; the kernel spreads connections)."""
    # past max_concurrent_rpcs calls in progress, new calls get RESOURCE_EXHAUSTED at once instead
    # of queueing without bound (latency collapse under overload)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grpc"),
        maximum_concurrent_rpcs=max_concurrent_rpcs,
        options=[
            # bound per received message (REL-F9): gRPC core refuses a larger one with
            # RESOURCE_EXHAUSTED before the handler runs, so it is never hashed or parsed (and
            # carries no kit code: no node code runs). A 500-record RegisterChunk: 35 KiB
            # (benchmark records) to 451 KiB (every text field at its bound).
            ("grpc.max_receive_message_length", node.config.max_request_bytes),
            ("grpc.max_send_message_length", MAX_MESSAGE),
            ("grpc.so_reuseport", 1 if reuse_port else 0),
            # keepalive (REL-F16): ping an idle connection every 60 s and drop it when the peer
            # does not answer in 20 s (a vanished terminal's streams are freed); refuse clients
            # that ping more often than every 10 s (ping floods)
            ("grpc.keepalive_time_ms", 60_000),
            ("grpc.keepalive_timeout_ms", 20_000),
            ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
            ("grpc.http2.max_ping_strikes", 2),
        ],
    )
    from reference_node.extensions import load_extensions

    load_extensions()
    names = service_names()
    auth = Authenticator(node)
    cfg = node.config
    streams = StreamGuard(
        cfg.max_streams or max(1, workers // 2), cfg.max_streams_per_terminal,
        cfg.stream_idle_timeout_s, cfg.stream_max_lifetime_s,
    )  # fmt: skip
    server.add_generic_rpc_handlers((_Handlers(node, auth, streams),))
    health_servicer = health.HealthServicer(experimental_non_blocking=True)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in names:
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection((*names, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    try:
        if tls is not None:
            key, chain = tls
            port = server.add_secure_port(address, grpc.ssl_server_credentials([(key, chain)]))
        else:
            port = server.add_insecure_port(address)
    except RuntimeError:  # grpc's "Failed to bind": a taken port, an address not on this machine
        raise EhcError(
            PORT_BUSY, f"cannot listen on {address}: pass --grpc-port with a free port (0 = any free port)"
        ) from None
    server.start()
    return GrpcServer(server, port, health_servicer, auth, streams)
