"""Client side: a gRPC interceptor that signs every call, credential files, and a small client.

Load tests, conformance suites and the CLI import this module (never the node internals)::

    from reference_node.client import NodeClient
    with NodeClient.from_file(default_data_dir() / "client.json") as nc:  # reference_node.runtime
        nc.verification.VerifyQr(verification_pb2.VerifyQrRequest(qr_text=..., context=nc.context()))

Errors: ``error_of(rpc_error)`` turns a refused call into the kit's ``EhcError`` (code + number).
"""

from __future__ import annotations

import collections
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from ehc.errors import EhcError, ErrorCode, lookup
from reference_node.auth import H_ON_BEHALF_OF, sign
from reference_node.errors import CLIENT_UNAVAILABLE, INTERNAL, KEK_INVALID
from reference_node.proto.ehc.node.v1 import (
    common_pb2,
    issuance_pb2_grpc,
    main_index_pb2_grpc,
    registry_pb2_grpc,
    settlement_pb2_grpc,
    usage_pb2_grpc,
    verification_pb2_grpc,
)

MAX_MESSAGE = 64 * 1024 * 1024


@dataclass(frozen=True)
class Credentials:
    """A terminal's identity: id, HMAC-SM3 secret and the context it reports from."""

    terminal_id: str
    secret: bytes = field(repr=False)
    org_code: str
    org_name: str = ""
    use_city: str = ""
    channel: str = "0100"
    medical_step: str = "010101"
    department: str = ""

    def __repr__(self) -> str:
        return f"Credentials(terminal_id={self.terminal_id!r}, org_code={self.org_code!r}, secret=<masked>)"

    def to_dict(self) -> dict[str, str]:
        return {
            "terminal_id": self.terminal_id,
            "secret_hex": self.secret.hex(),
            "org_code": self.org_code,
            "org_name": self.org_name,
            "use_city": self.use_city,
            "channel": self.channel,
            "medical_step": self.medical_step,
            "department": self.department,
        }

    def to_sealed_dict(self, kek: bytes) -> dict[str, str]:
        """Like :meth:`to_dict`, the secret sealed under the node's KEK (``secret_sealed``): a
        client file of a production node holds no secret in clear."""
        from reference_node.hsm import kek_seal

        d = self.to_dict()
        del d["secret_hex"]
        d["secret_sealed"] = kek_seal(kek, self.secret).hex()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Credentials:
        if "secret_sealed" in d:  # sealed under the node's KEK (EHC_NODE_KEK / EHC_NODE_KEK_FILE)
            from reference_node.hsm import kek_open, resolve_kek

            kek = resolve_kek()
            if kek is None:
                raise EhcError(
                    KEK_INVALID, "client file holds a sealed secret: give the node's KEK (EHC_NODE_KEK)"
                )
            secret = kek_open(kek, bytes.fromhex(d["secret_sealed"]))
        else:
            secret = bytes.fromhex(d["secret_hex"])
        return cls(
            terminal_id=d["terminal_id"],
            secret=secret,
            org_code=d["org_code"],
            org_name=d.get("org_name", ""),
            use_city=d.get("use_city", ""),
            channel=d.get("channel", "0100"),
            medical_step=d.get("medical_step", "010101"),
            department=d.get("department", ""),
        )


def load_client_file(path: str | os.PathLike[str], role: str = "terminal") -> tuple[str, Credentials]:
    """(target, credentials) from a client file written by ``ehc node serve`` (role: terminal | admin).

    A file readable by group or others is refused (NODE_FILE_PERMISSIONS): it holds secrets."""
    from reference_node.hsm import check_private_file

    check_private_file(path, "client file")
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    return doc["target"], Credentials.from_dict(doc[role])


@dataclass(frozen=True)
class TlsConfig:
    """Client side of TLS: the CA the node's certificate must chain to (None: the system roots),
    optionally a client certificate chain and key (mutual TLS) and the name to check in the node's
    certificate when it differs from the host dialled (``grpc.ssl_target_name_override``)."""

    ca: bytes | None = field(default=None, repr=False)
    cert: bytes | None = field(default=None, repr=False)
    key: bytes | None = field(default=None, repr=False)
    server_name: str | None = None

    def channel_credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(
            root_certificates=self.ca, private_key=self.key, certificate_chain=self.cert
        )

    def channel_options(self) -> list[tuple[str, str]]:
        return [("grpc.ssl_target_name_override", self.server_name)] if self.server_name else []

    @classmethod
    def from_files(
        cls,
        ca: str | os.PathLike[str] | None = None,
        cert: str | os.PathLike[str] | None = None,
        key: str | os.PathLike[str] | None = None,
        server_name: str | None = None,
    ) -> TlsConfig:
        """Read the PEM files (OSError when one cannot be read; ValueError: cert without key)."""
        if (cert is None) != (key is None):
            raise ValueError("a client certificate and its key go together (cert= and key=)")
        return cls(
            ca=Path(ca).read_bytes() if ca else None,
            cert=Path(cert).read_bytes() if cert else None,
            key=Path(key).read_bytes() if key else None,
            server_name=server_name or None,
        )


def client_file_tls(path: str | os.PathLike[str]) -> dict[str, str]:
    """The optional ``"tls"`` object of a client file: ``ca``, ``cert``, ``key`` (PEM paths,
    relative to the client file) and ``server_name``; paths returned resolved. ``{}`` if absent."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    tls = doc.get("tls") if isinstance(doc, dict) else None
    if not tls:
        return {}
    if not isinstance(tls, dict) or not all(isinstance(v, str) for v in tls.values()):
        raise ValueError('"tls" must be an object of strings (ca, cert, key, server_name)')
    unknown = set(tls) - {"ca", "cert", "key", "server_name"}
    if unknown:
        raise ValueError(f'"tls" has unknown keys {", ".join(sorted(unknown))}')
    base = Path(path).parent
    return {k: (v if k == "server_name" else str(base / v)) for k, v in tls.items()}


class _CallDetails(collections.namedtuple("_CallDetails", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")), grpc.ClientCallDetails):  # fmt: skip
    pass


class SigningInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds the x-ehc-* signature metadata to every call (see ``reference_node.auth``)."""

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials

    def _details(self, details: grpc.ClientCallDetails, body: bytes | None) -> grpc.ClientCallDetails:
        # a front-end relaying for a terminal names it in the call's metadata: it is signed in too
        named = ""
        metadata: list[tuple[str, Any]] = []
        for key, value in details.metadata or ():
            if key == H_ON_BEHALF_OF:
                named = str(value)
            else:
                metadata.append((key, value))
        headers = sign(
            self.credentials.secret, details.method, body,
            terminal_id=self.credentials.terminal_id, on_behalf_of=named,
        )  # fmt: skip
        metadata += headers.items()
        return _CallDetails(details.method, details.timeout, metadata, details.credentials,
                            getattr(details, "wait_for_ready", None), getattr(details, "compression", None))  # fmt: skip

    def intercept_unary_unary(self, continuation, client_call_details, request):  # noqa: ANN001, ANN201
        return continuation(self._details(client_call_details, request.SerializeToString()), request)

    def intercept_stream_stream(self, continuation, client_call_details, request_iterator):  # noqa: ANN001, ANN201
        return continuation(self._details(client_call_details, None), request_iterator)


def plain_channel(
    target: str, tls: TlsConfig | None = None, extra_options: tuple[tuple[str, Any], ...] = ()
) -> grpc.Channel:
    """An unsigned channel: TLS when ``tls`` is given, plaintext otherwise."""
    options: list[tuple[str, Any]] = [
        ("grpc.max_receive_message_length", MAX_MESSAGE),
        ("grpc.max_send_message_length", MAX_MESSAGE),
        *extra_options,
    ]
    if tls is not None:
        return grpc.secure_channel(target, tls.channel_credentials(), options=options + tls.channel_options())
    return grpc.insecure_channel(target, options=options)


def signed_channel(
    target: str,
    credentials: Credentials,
    *,
    tls_root: bytes | None = None,
    tls: TlsConfig | None = None,
    extra_options: tuple[tuple[str, Any], ...] = (),
) -> grpc.Channel:
    """A channel that signs every call; ``tls_root`` is short for ``tls=TlsConfig(ca=tls_root)``."""
    if tls is None and tls_root is not None:
        tls = TlsConfig(ca=tls_root)
    return grpc.intercept_channel(plain_channel(target, tls, extra_options), SigningInterceptor(credentials))


def trailers_of(exc: grpc.RpcError) -> tuple[tuple[str, str | bytes], ...]:
    """The trailing metadata of a refused call as (key, value) pairs, () when it has none.

    grpc's errors are also ``grpc.Call`` objects whose trailers are plain pairs; the types-grpcio
    stub declares ``RpcError.trailing_metadata`` with an opaque item type, hence the one reading here.
    """
    trailing = getattr(exc, "trailing_metadata", None)
    return tuple((str(k), v) for k, v in (trailing() or ())) if trailing is not None else ()


def error_of(exc: grpc.RpcError) -> EhcError:
    """The kit's error code carried by a refused call (trailing metadata ``ehc-error-*``)."""
    trailers = dict(trailers_of(exc))
    info_bytes = trailers.get("ehc-error-bin")
    if isinstance(info_bytes, bytes) and info_bytes:  # a -bin trailer is always bytes
        info = common_pb2.ErrorInfo.FromString(info_bytes)
        try:
            code = lookup(info.code)
        except KeyError:
            code = ErrorCode(info.code, info.number, "remote", info.message)
        detail = {"field": info.field} if info.field else {}
        return EhcError(code, info.message, **detail)
    if hasattr(exc, "code") and exc.code() in (
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
    ):
        return EhcError(CLIENT_UNAVAILABLE, exc.details() or "node not reachable")
    return EhcError(INTERNAL, (exc.details() if hasattr(exc, "details") else None) or "call failed")


class NodeClient:
    """Stubs of every service over one signed channel."""

    def __init__(
        self,
        target: str,
        credentials: Credentials,
        *,
        tls_root: bytes | None = None,
        tls: TlsConfig | None = None,
        extra_options: tuple[tuple[str, Any], ...] = (),
    ) -> None:
        self.target = target
        self.credentials = credentials
        self.channel = signed_channel(
            target, credentials, tls_root=tls_root, tls=tls, extra_options=extra_options
        )
        self.issuance = issuance_pb2_grpc.IssuanceServiceStub(self.channel)
        self.main_index = main_index_pb2_grpc.MainIndexServiceStub(self.channel)
        self.verification = verification_pb2_grpc.VerificationServiceStub(self.channel)
        self.usage = usage_pb2_grpc.UsageServiceStub(self.channel)
        self.registry = registry_pb2_grpc.RegistryServiceStub(self.channel)
        # TEST-ONLY simulated settlement (reference_node/settlement, docs/payment.md)
        self.settlement = settlement_pb2_grpc.SettlementServiceStub(self.channel)

    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike[str],
        role: str = "terminal",
        target: str | None = None,
        extra_options: tuple[tuple[str, Any], ...] = (),
    ) -> NodeClient:
        """``extra_options``: more gRPC channel arguments (``ehc node import --connections``: a
        channel of its own connection, ``grpc.use_local_subchannel_pool``)."""
        file_target, creds = load_client_file(path, role)
        tls_paths = client_file_tls(path)  # a TLS node: the file's "tls" object (CA, client cert)
        tls = TlsConfig.from_files(**tls_paths) if tls_paths else None
        return cls(target or file_target, creds, tls=tls, extra_options=extra_options)

    def context(self, **overrides: str) -> common_pb2.TerminalContext:
        """This terminal's context (org, city, channel, step), with overrides."""
        c = self.credentials
        values = {
            "terminal_id": c.terminal_id,
            "org_code": c.org_code,
            "org_name": c.org_name,
            "use_city": c.use_city,
            "channel": c.channel,
            "medical_step": c.medical_step,
            "department": c.department,
        }
        values.update(overrides)
        return common_pb2.TerminalContext(**values)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> NodeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
