"""Adapter of the ``node`` role: a city node reached over gRPC (``ehc.node.v1``).

``reference`` starts the kit's reference node in process (embedded SQLite, free port, TEST-ONLY
keys and credentials); ``HOST:PORT;client=FILE`` talks to any node, signing calls with the
credentials of a client file (``ehc node client`` format).

Identities (``reference_node.identities``): ``terminal`` and ``peer`` are two terminals of
organisation A, ``foreign`` a terminal of organisation B, ``admin`` the node operator. Authorisation
tests need all four; a client file without them stops the run before any test
(``ehc node client identities --out FILE`` writes one).

The adapter offers ``call(service, method, request, role="terminal") -> (response, error)``:
``error`` is ``{"code", "number", "message", "grpc"}`` for a refused call, never an exception, so
negative tests can assert the code. Every call goes to the transcript (masked).
"""

from __future__ import annotations

import tempfile
import time
from typing import Any

from ehc.errors import EhcError

from ..errors import ADAPTER_UNAVAILABLE, ADAPTER_UNKNOWN

# Back-off when a node answers NODE_RATE_LIMITED (its per-terminal flow control).
RATE_LIMIT_FIRST_DELAY_S = 0.05
RATE_LIMIT_MAX_WAIT_S = 30.0


def _to_dict(message: Any) -> Any:
    if message is None:
        return None
    from google.protobuf.json_format import MessageToDict

    return MessageToDict(message, preserving_proto_field_name=True)


class GrpcNode:
    def __init__(
        self, run: Any, target: str, terminal: Any, admin: Any, owner: Any = None,
        identities: dict[str, Any] | None = None,
    ) -> None:  # fmt: skip
        from reference_node.client import NodeClient

        self.log = run.holder
        self.profile = run.profile
        self.target = target
        self.identities = {**(identities or {}), "terminal": terminal, "admin": admin}
        self.clients = {role: NodeClient(target, cred) for role, cred in self.identities.items()}
        self.terminal = self.clients["terminal"]
        self.admin = self.clients["admin"]
        try:  # newer ehc.node.v1 releases add SupervisionService
            from reference_node.proto.ehc.node.v1 import supervision_pb2_grpc

            for client in self.clients.values():
                client.supervision = supervision_pb2_grpc.SupervisionServiceStub(client.channel)
        except ImportError:
            pass
        self._owner = owner  # a RunningNode the adapter started (stopped on close)
        self._tmp: Any = None
        declared = getattr(getattr(run, "declaration", None), "declared", {}) or {}
        self.clock_skew_s = int(
            declared.get(
                "dynamic_code.clock_skew_seconds", run.profile.param("dynamic_code.clock_skew_seconds", 30)
            )
        )

    def info(self) -> dict[str, Any]:
        return {
            "adapter": "node:grpc",
            "target": self.target,
            "implementation": "reference" if self._owner else "remote",
            **({"mutant": self.mutant.description} if getattr(self, "mutant", None) else {}),
        }

    def client(self, role: str = "terminal") -> Any:
        """The signed client of an identity: terminal | peer | foreign | admin."""
        client = self.clients.get(role)
        if client is None:
            raise EhcError(ADAPTER_UNAVAILABLE, f"no {role!r} identity in the client file")
        return client

    def credentials(self, role: str = "terminal") -> Any:
        return self.identities[role]

    def context(self, role: str = "terminal", **overrides: str) -> Any:
        return self.client(role).context(**overrides)

    def call(
        self, service: str, method: str, request: Any, role: str = "terminal"
    ) -> tuple[Any, dict | None]:
        import grpc

        from reference_node.client import error_of

        stub = getattr(self.client(role), service)
        delay, waited = RATE_LIMIT_FIRST_DELAY_S, 0.0
        while True:
            try:
                response = getattr(stub, method)(request, timeout=30)
            except grpc.RpcError as exc:
                err = error_of(exc)
                # A node's documented flow control is not a verdict: back off and call again
                # (every call is signed anew), bounded, and say so in the transcript.
                if err.code.name == "NODE_RATE_LIMITED" and waited < RATE_LIMIT_MAX_WAIT_S:
                    self.log.note(f"{service}.{method}: NODE_RATE_LIMITED, calling again in {delay:.2f} s")
                    time.sleep(delay)
                    waited += delay
                    delay = min(delay * 2, 2.0)
                    continue
                error = {
                    "code": err.code.name,
                    "number": err.code.number,
                    "message": err.message,
                    "grpc": exc.code().name if hasattr(exc, "code") else "",
                }
                self.log.call(f"{service}.{method}", _to_dict(request), None, error)
                return None, error
            self.log.call(f"{service}.{method}", _to_dict(request), _to_dict(response))
            return response, None

    def stream(self, service: str, method: str, requests: list[Any], role: str = "terminal") -> list[Any]:
        stub = getattr(self.client(role), service)
        responses = list(getattr(stub, method)(iter(requests), timeout=60))
        self.log.call(
            f"{service}.{method}", [_to_dict(r) for r in requests], [_to_dict(r) for r in responses]
        )
        return responses

    def health(self) -> str:
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        stub = health_pb2_grpc.HealthStub(self.terminal.channel)
        status = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=10).status
        name = health_pb2.HealthCheckResponse.ServingStatus.Name(status)
        self.log.call("grpc.health.v1.Health/Check", {}, {"status": name})
        return name

    def unsigned_call(self, stub_class: Any, method: str, request: Any) -> dict | None:
        """The same call on a plain channel without the terminal signature (must be refused)."""
        import grpc

        from reference_node.client import error_of

        channel = grpc.insecure_channel(self.target)
        try:
            stub = stub_class(channel)
            getattr(stub, method)(request, timeout=30)
            self.log.call(f"{method} (unsigned)", _to_dict(request), "accepted")
            return None
        except grpc.RpcError as exc:
            err = error_of(exc)
            error = {"code": err.code.name, "grpc": exc.code().name}
            self.log.call(f"{method} (unsigned)", _to_dict(request), None, error)
            return error
        finally:
            channel.close()

    def replay_probe(self, stub_class: Any, method: str, request: Any) -> dict[str, dict | None]:
        """Send one signed request twice with the same signature headers (nonce replay) and once
        with a timestamp an hour old; the node must refuse both replays. Uses the ehc.node.v1
        signature scheme (``x-ehc-*`` headers, HMAC-SM3)."""
        import time

        import grpc

        from reference_node.auth import sign
        from reference_node.client import error_of

        creds = self.terminal.credentials
        channel = grpc.insecure_channel(self.target)
        stub = stub_class(channel)
        rpc = getattr(stub, method)
        full_method = f"/ehc.node.v1.{stub_class.__name__.removesuffix('Stub')}/{method}"
        body = request.SerializeToString()
        results: dict[str, dict | None] = {}
        headers = sign(creds.secret, full_method, body, terminal_id=creds.terminal_id)
        stale = sign(
            creds.secret,
            full_method,
            body,
            terminal_id=creds.terminal_id,
            timestamp_ms=int((time.time() - 3600) * 1000),
        )
        for label, metadata in (("first", headers), ("replay", headers), ("stale", stale)):
            try:
                rpc(request, metadata=list(metadata.items()), timeout=30)
                results[label] = None
            except grpc.RpcError as exc:
                err = error_of(exc)
                results[label] = {"code": err.code.name, "grpc": exc.code().name}
        channel.close()
        self.log.call(f"{method} (replay probe)", _to_dict(request), results)
        return results

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        if self._owner is not None:
            self._owner.stop()
        if self._tmp is not None:
            self._tmp.cleanup()


REFERENCE_CLOCK_SKEW_S = 2


def reference_config(profile: Any) -> Any:
    """The reference node configured as the profile says (lifetime, count limit, re-issue rule)."""
    from reference_node.config import NodeConfig

    max_uses = int(profile.param("dynamic_code.max_uses", 0))
    return NodeConfig(
        node_id=str(profile.param("area.city", "370800")),
        dynamic_lifetime_s=int(profile.param("dynamic_code.lifetime_seconds", 300)),
        dynamic_max_verifications=max_uses if max_uses > 0 else 100,
        refuse_reissue_while_valid=bool(profile.param("dynamic_code.refuse_reissue_while_valid", False)),
        newborn_document_type=str(profile.param("newborn.document_type", "08")),
        clock_skew_s=REFERENCE_CLOCK_SKEW_S,
    )


def start_reference(run: Any, cls: type = GrpcNode, address: str | None = None) -> GrpcNode:
    """The kit's reference node in process; ``address`` HOST:PORT to listen on (default: a free port)."""
    try:
        from reference_node.runtime import start
    except ImportError as exc:
        raise EhcError(ADAPTER_UNAVAILABLE, f"reference node: {exc}") from None
    tmp = tempfile.TemporaryDirectory(prefix="ehc-certify-node-")
    running = start(
        f"{tmp.name}/ehc-node", config=reference_config(run.profile), grpc_address=address or "127.0.0.1:0"
    )
    adapter = cls(
        run, running.target, running.credentials, running.admin_credentials, owner=running,
        identities=reference_identities(running),
    )  # fmt: skip
    adapter._tmp = tmp
    adapter.clock_skew_s = REFERENCE_CLOCK_SKEW_S
    return adapter


def reference_identities(running: Any) -> dict[str, Any]:
    """Org B and a second org-A terminal on a node the kit started (through its registry)."""
    from reference_node.identities import provision_identities

    return provision_identities(running.target, running.credentials, running.admin_credentials)


def check_spec(spec: str) -> str | None:
    """A one-line reason why ``spec`` cannot be certified (client file without the identities the
    authorisation tests need), or None. Checked before any test runs."""
    target, _, rest = spec.partition(";")
    if not (":" in target and rest.startswith("client=")):
        return None
    from reference_node.identities import missing_identities

    path = rest[len("client=") :]
    missing = missing_identities(path)
    if not missing:
        return None
    return (
        f"client file {path} lacks the identities {', '.join(missing)} (two terminals of one "
        "organisation, one of another, the admin); write it with "
        f"`ehc node client --client-file YOUR_CLIENT_FILE --target {target} identities --out {path}`"
    )


def make(spec: str, run: Any) -> Any:
    if spec == "reference":
        return start_reference(run)
    if spec.startswith("mutant:"):
        from ..mutants.node import make_mutant

        return make_mutant(spec[len("mutant:") :], run)
    target, _, rest = spec.partition(";")
    if ":" in target and rest.startswith("client="):
        from reference_node.client import load_client_file
        from reference_node.identities import IDENTITY_ROLES

        path = rest[len("client=") :]
        problem = check_spec(spec)
        if problem:
            raise EhcError(ADAPTER_UNAVAILABLE, problem)
        identities = {role: load_client_file(path, role)[1] for role in IDENTITY_ROLES}
        return GrpcNode(run, target, identities["terminal"], identities["admin"], identities=identities)
    raise EhcError(
        ADAPTER_UNKNOWN, f"node adapter {spec!r}: use reference, HOST:PORT;client=FILE or mutant:NAME"
    )
