"""Adapter of the ``node`` role: a city node reached over gRPC (``ehc.node.v1``).

``reference`` starts the kit's reference node in process (embedded SQLite, free port, TEST-ONLY
keys and credentials); ``HOST:PORT;client=FILE`` talks to any node, signing calls with the
credentials of a client file (``ehc node client`` format).

Identities (``reference_node.identities``): ``terminal`` and ``peer`` are two terminals of
organisation A, ``foreign`` a terminal of organisation B, ``admin`` the node operator. Authorisation
tests need all four; a client file without them stops the run before any test
(``ehc node client identities --out FILE`` writes one).

Target syntax (``ehc certify node --target``; ``parse_target`` checks it before any test)::

    HOST:PORT;client=FILE[;ca=FILE][;cert=FILE;key=FILE][;name=SERVER_NAME][;tls=on]

``ca`` turns TLS on and is the CA the node's certificate must chain to; ``cert``/``key`` a client
certificate for mutual TLS; ``name`` the name to check in the node's certificate when it is not
HOST; ``tls=on`` TLS against the system roots. The client file may carry the same as
``"tls": {"ca", "cert", "key", "server_name"}`` (paths relative to the file); the target wins.
``reference`` serves TLS with a TEST-ONLY CA (``conformance_tests.tlsmaterial``).

The adapter offers ``call(service, method, request, role="terminal") -> (response, error)``:
``error`` is ``{"code", "number", "message", "grpc"}`` for a refused call, never an exception, so
negative tests can assert the code. Every call goes to the transcript (masked).
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass
from typing import Any, cast

from ehc.errors import EhcError

from ..errors import ADAPTER_UNAVAILABLE, ADAPTER_UNKNOWN, DUT_SPEC_INVALID, DUT_UNREACHABLE

# Back-off when a node answers NODE_RATE_LIMITED (its per-terminal flow control).
RATE_LIMIT_FIRST_DELAY_S = 0.05
RATE_LIMIT_MAX_WAIT_S = 30.0


def _to_dict(message: Any) -> Any:
    if message is None:
        return None
    from google.protobuf.json_format import MessageToDict

    return MessageToDict(message, preserving_proto_field_name=True)


TARGET_SYNTAX = "HOST:PORT;client=FILE[;ca=FILE][;cert=FILE;key=FILE][;name=SERVER_NAME][;tls=on]"
HEALTH_TIMEOUT_S = 5.0  # a node that does not answer its health check by then is unreachable
_ADDRESS = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$")
_KEYS = ("client", "ca", "cert", "key", "name", "tls")
#: ``getpeercert()["subject"]``: RDNs, each a tuple of (attribute, value) pairs (Python ssl docs)
_DistinguishedName = tuple[tuple[tuple[str, str], ...], ...]


@dataclass(frozen=True)
class NodeTarget:
    """A parsed ``--target``: address, client file and the client side of TLS (None: plaintext)."""

    address: str
    client_file: str
    tls: Any = None  # reference_node.client.TlsConfig

    @property
    def transport(self) -> str:
        return "tls" if self.tls is not None else "plaintext"


def parse_target(spec: str) -> NodeTarget:
    """Check a ``HOST:PORT;client=FILE;...`` spec and read the files it names (DUT_SPEC_INVALID
    with one line saying what is wrong)."""
    from reference_node.client import TlsConfig, client_file_tls, load_client_file

    def bad(why: str) -> EhcError:
        return EhcError(DUT_SPEC_INVALID, f"{why}; the target is {TARGET_SYNTAX}")

    address, *parts = spec.split(";")
    if not _ADDRESS.match(address) or not 0 < int(address.rsplit(":", 1)[1]) < 65536:
        raise bad(f"{address!r} is not HOST:PORT")
    opts: dict[str, str] = {}
    for part in parts:
        key, eq, value = part.partition("=")
        if not eq or key not in _KEYS or not value:
            raise bad(f"{part!r} is not one of {', '.join(k + '=...' for k in _KEYS)}")
        if key in opts:
            raise bad(f"{key}= given twice")
        opts[key] = value
    if "client" not in opts:
        raise bad(
            "no client file (client=FILE: the node's credentials; `ehc node client identities` writes one)"
        )
    path = opts["client"]
    try:
        load_client_file(path, "terminal")
        load_client_file(path, "admin")
        from_file = client_file_tls(path)
    except OSError as exc:
        raise bad(f"client file {path} cannot be read ({exc.strerror or exc})") from None
    except (ValueError, KeyError, TypeError) as exc:
        detail = f"no {exc} entry" if isinstance(exc, KeyError) else str(exc).splitlines()[0][:120]
        raise bad(f"client file {path} is not an ehc node client file ({detail})") from None
    if opts.get("tls", "on") not in ("on", "off"):
        raise bad("tls= is on or off")
    files = {
        "ca": opts.get("ca", from_file.get("ca")),
        "cert": opts.get("cert", from_file.get("cert")),
        "key": opts.get("key", from_file.get("key")),
    }
    server_name = opts.get("name", from_file.get("server_name"))
    wanted = opts.get("tls") == "on" or any(files.values()) or server_name
    if opts.get("tls") == "off" or not wanted:
        return NodeTarget(address, path)
    try:
        tls = TlsConfig.from_files(**files, server_name=server_name)
    except OSError as exc:
        raise bad(f"TLS file {exc.filename} cannot be read ({exc.strerror})") from None
    except ValueError as exc:
        raise bad(str(exc)) from None
    for label, pem in (("ca", tls.ca), ("cert", tls.cert), ("key", tls.key)):
        if pem is not None and b"-----BEGIN " not in pem:
            raise bad(f"{label}= {files[label]} is not a PEM file")
    return NodeTarget(address, path, tls)


def probe(target: NodeTarget, timeout: float = HEALTH_TIMEOUT_S) -> None:
    """The node answers the gRPC health check within ``timeout`` (any answer, even UNIMPLEMENTED,
    shows it is there); DUT_UNREACHABLE with one line otherwise."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from reference_node.client import plain_channel

    channel = plain_channel(target.address, target.tls)
    try:
        health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout)
    except grpc.RpcError as exc:
        if exc.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            return
        hint = (
            "does it serve TLS with a certificate the given ca= signed, for that name (name=)?"
            if target.tls is not None
            else "is it running, and does it serve plaintext (pass ;ca=FILE for a TLS node)?"
        )
        raise EhcError(
            DUT_UNREACHABLE,
            f"node {target.address} does not answer the gRPC health check within {timeout:g} s "
            f"({exc.code().name} over {target.transport}): {hint}",
        ) from None
    finally:
        channel.close()


class GrpcNode:
    mutant: Any = None  # the vendor-node mutant in front of the reference (selftest), else None
    tencent_url = ""  # the reference's Tencent front door, when the HIS adapter started one

    def __init__(
        self, run: Any, target: str, terminal: Any, admin: Any, owner: Any = None,
        identities: dict[str, Any] | None = None, tls: Any = None,
    ) -> None:  # fmt: skip
        from reference_node.client import NodeClient

        self.log = run.holder
        self.profile = run.profile
        self.target = target
        self.tls = tls  # reference_node.client.TlsConfig of a TLS node, None in plaintext
        self.identities = {**(identities or {}), "terminal": terminal, "admin": admin}
        self.clients = {role: NodeClient(target, cred, tls=tls) for role, cred in self.identities.items()}
        self.terminal = self.clients["terminal"]
        self.admin = self.clients["admin"]
        try:  # newer ehc.node.v1 releases add SupervisionService
            from reference_node.proto.ehc.node.v1 import supervision_pb2_grpc

            for client in self.clients.values():
                # NodeClient predates the service: the stub is added here, by the name call() uses
                client.supervision = supervision_pb2_grpc.SupervisionServiceStub(client.channel)  # type: ignore[attr-defined]
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
            "transport": "tls" if self.tls is not None else "plaintext",
            **({"mutant": self.mutant.description} if getattr(self, "mutant", None) else {}),
        }

    def set_policy_day(self, day: Any) -> bool:
        """Pin the day the reference node this adapter started judges the profile's policy dates
        on (``hospital_cards.stop_issue`` / ``stop_use``, applied here), None to release it; the
        HIS suite moves a real visit around the dates (HIS-014). False for a node it did not
        start: a remote node's clock is its own."""
        if self._owner is None:
            return False
        from dataclasses import replace

        from reference_node.policy import set_policy_day

        node = self._owner.node
        # released (None): the dates go too, so later tests see the node as it was started
        source = deployed_config(self.profile) if day is not None else reference_config(self.profile)
        node.config = replace(node.config, **{k: getattr(source, k) for k in HOSPITAL_CARD_DATES})
        set_policy_day(node, day)
        return True

    def client(self, role: str = "terminal") -> Any:
        """The signed client of an identity: terminal | peer | foreign | admin."""
        client = self.clients.get(role)
        if client is None:
            raise EhcError(ADAPTER_UNAVAILABLE, f"no {role!r} identity in the client file")
        return client

    def credentials(self, role: str = "terminal") -> Any:
        return self.identities[role]

    def add_identity(self, role: str, credentials: Any) -> None:
        """A further identity a test created (a throwaway terminal), signed like the others."""
        from reference_node.client import NodeClient

        if role in self.clients:
            self.clients[role].close()
        self.identities[role] = credentials
        self.clients[role] = NodeClient(self.target, credentials, tls=getattr(self, "tls", None))

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

        from reference_node.client import error_of, plain_channel

        channel = plain_channel(self.target, self.tls)
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
        from reference_node.client import error_of, plain_channel

        creds = self.terminal.credentials
        channel = plain_channel(self.target, self.tls)
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

    def plaintext_probe(self) -> str | None:
        """Call the health check in plaintext on the node's address: the gRPC status name if the
        node answered (it accepts unprotected traffic), None if it refused the connection."""
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        channel = grpc.insecure_channel(self.target)
        try:
            health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=HEALTH_TIMEOUT_S
            )
            answered: str | None = "OK"
        except grpc.RpcError as exc:
            code = exc.code()
            unanswered = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
            answered = None if code in unanswered else code.name
        finally:
            channel.close()
        self.log.call("grpc.health.v1.Health/Check (plaintext)", {}, {"answered": answered})
        return answered

    def tls_probe(self) -> dict[str, Any]:
        """One TLS handshake (ALPN h2) that verifies the node's certificate chain against the CA
        given (system roots without one) and its name: version, cipher, subject, validity."""
        import socket
        import ssl

        tls = self.tls
        host, _, port = self.target.rpartition(":")
        host = host.strip("[]")
        context = ssl.create_default_context(cadata=tls.ca.decode("ascii") if tls.ca else None)
        context.set_alpn_protocols(["h2"])
        if tls.cert is not None:
            with tempfile.TemporaryDirectory(prefix="ehc-tls-") as tmp:
                cert, key = f"{tmp}/cert.pem", f"{tmp}/key.pem"
                for path, pem in ((cert, tls.cert), (key, tls.key)):
                    with open(path, "wb") as fh:
                        fh.write(pem)
                context.load_cert_chain(cert, key)
        result: dict[str, Any]
        try:
            with (
                socket.create_connection((host, int(port)), timeout=HEALTH_TIMEOUT_S) as raw,
                context.wrap_socket(raw, server_hostname=tls.server_name or host) as conn,
            ):
                peer = conn.getpeercert() or {}
                result = {
                    "verified": True,
                    "version": conn.version(),
                    "cipher": (conn.cipher() or ("",))[0],
                    "alpn": conn.selected_alpn_protocol(),
                    "subject": str(dict(x[0] for x in cast(_DistinguishedName, peer.get("subject", ())))),
                    "not_after": peer.get("notAfter", ""),
                }
        except ssl.SSLCertVerificationError as exc:
            result = {"verified": False, "error": exc.verify_message or str(exc)}
        except (ssl.SSLError, OSError) as exc:
            result = {"verified": False, "error": f"{type(exc).__name__}: {exc}"}
        self.log.call("TLS handshake", {"server_name": tls.server_name or host}, result)
        return result

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        if self._owner is not None:
            self._owner.stop()
        if self._tmp is not None:
            self._tmp.cleanup()


REFERENCE_CLOCK_SKEW_S = 2


def _served_config(profile: Any) -> Any:
    """The node configuration `ehc node serve --profile` runs with (a resolved conformance profile)."""
    from ehc.profiles import ProfileData
    from reference_node.profiles import profile_config

    return profile_config(ProfileData(profile.name, profile.title, tuple(profile.chain), profile.parameters))


def reference_config(profile: Any) -> Any:
    """The reference node configured by the profile as `ehc node serve --profile` does (city,
    profile name, accepted media, dynamic-code rules, newborn document, main-index key, pilot area,
    KPI targets), with three exceptions: the clock skew of its declaration, no certificate rule for
    the suite's own identities, and the hospital-card dates applied only around a visit
    (set_policy_day). deployed_config turns the last two back on."""
    from dataclasses import replace

    return replace(
        _served_config(profile),
        clock_skew_s=REFERENCE_CLOCK_SKEW_S,
        require_certified_terminals=False,
        hospital_card_stop_issue="",
        hospital_card_stop_use="",
        test_settlement=True,  # the kit's node serves the TEST-ONLY settlement (HIS payment step)
    )


#: The province rules reference_config leaves off for its per-visit defaults and a province's node
#: runs with (deployed_config): the hospital-card stop dates (seed 001) and certified terminals
#: only (检测备案, seed 000).
HOSPITAL_CARD_DATES = ("hospital_card_stop_issue", "hospital_card_stop_use")
CERTIFICATE_RULE = ("require_certified_terminals",)
DEPLOYED_RULES = HOSPITAL_CARD_DATES + CERTIFICATE_RULE


def deployed_config(profile: Any) -> Any:
    """The reference node as a province deploys it under the profile: reference_config with the
    profile's own DEPLOYED_RULES (hospital-card dates, certified terminals only) as `ehc node serve
    --profile` sets them. The one place the suites, their tests and ``ehc demo`` take them from."""
    from dataclasses import replace

    served = _served_config(profile)
    return replace(reference_config(profile), **{k: getattr(served, k) for k in DEPLOYED_RULES})


def with_deployed_rules(config: Any, profile: Any, rules: tuple[str, ...] = DEPLOYED_RULES) -> Any:
    """``config`` (a running node's) with ``rules`` as deployed_config(profile) has them."""
    from dataclasses import replace

    deployed = deployed_config(profile)
    return replace(config, **{k: getattr(deployed, k) for k in rules})


def start_reference_envelope(run: Any, api: str) -> tuple[Any, Any, str]:
    """The kit's reference node serving one platform envelope (``api``: tencent, qinghai, sichuan)
    on a free HTTP port: (running node, its temporary directory, base URL)."""
    from dataclasses import replace

    from reference_node.runtime import start

    tmp = tempfile.TemporaryDirectory(prefix=f"ehc-certify-{api}-")
    config = replace(reference_config(run.profile), apis=(api,))
    running = start(f"{tmp.name}/ehc-node", config=config, http_port=0)
    return running, tmp, f"http://127.0.0.1:{running.http_port}"


def start_reference(
    run: Any, cls: type = GrpcNode, address: str | None = None, *, tls: bool = False
) -> GrpcNode:
    """The kit's reference node in process; ``address`` HOST:PORT to listen on (default: a free
    port); ``tls``: serve TLS with a TEST-ONLY CA (the node role's own certification), plaintext
    otherwise (the upper tester the terminal and HIS suites' drivers dial)."""
    try:
        from reference_node.client import TlsConfig
        from reference_node.runtime import start
    except ImportError as exc:
        raise EhcError(ADAPTER_UNAVAILABLE, f"reference node: {exc}") from None
    tmp = tempfile.TemporaryDirectory(prefix="ehc-certify-node-")
    client_tls = None
    server_tls = None
    if tls:
        from ..tlsmaterial import make_test_tls

        material = make_test_tls()
        server_tls = (material.server_key, material.server_cert)
        client_tls = TlsConfig(ca=material.ca)
    running = start(
        f"{tmp.name}/ehc-node",
        config=reference_config(run.profile),
        grpc_address=address or "127.0.0.1:0",
        tls=server_tls,
    )
    adapter = cls(
        run, running.target, running.credentials, running.admin_credentials, owner=running,
        identities=reference_identities(running, client_tls), tls=client_tls,
    )  # fmt: skip
    adapter._tmp = tmp
    adapter.clock_skew_s = REFERENCE_CLOCK_SKEW_S
    return adapter


def reference_identities(running: Any, tls: Any = None) -> dict[str, Any]:
    """Org B and a second org-A terminal on a node the kit started (through its registry)."""
    from reference_node.identities import provision_identities

    return provision_identities(
        running.target, running.credentials, running.admin_credentials, tls_root=tls.ca if tls else None
    )


def check_spec(spec: str) -> str | None:
    """A one-line reason why ``spec`` cannot be certified (client file without the identities the
    authorisation tests need), or None. Checked before any test runs."""
    target, _, rest = spec.partition(";")
    if not (":" in target and "client=" in rest):
        return None
    from reference_node.identities import identity_problem, missing_identities

    path = parse_target(spec).client_file
    missing = missing_identities(path)
    if not missing:
        problem = identity_problem(path)
        return f"client file {path}: {problem}" if problem else None
    return (
        f"client file {path} lacks the identities {', '.join(missing)} (two terminals of one "
        "organisation, one of another, the admin); write it with "
        f"`ehc node client --client-file YOUR_CLIENT_FILE --target {target} identities --out {path}`"
    )


def make(spec: str, run: Any) -> Any:
    if spec == "reference":
        return start_reference(run, tls=True)
    if spec.startswith("mutant:"):
        from ..mutants.node import make_mutant

        return make_mutant(spec[len("mutant:") :], run)
    target, _, rest = spec.partition(";")
    if ":" in target and "client=" in rest:
        from reference_node.client import load_client_file
        from reference_node.identities import IDENTITY_ROLES

        parsed = parse_target(spec)
        path = parsed.client_file
        problem = check_spec(spec)
        if problem:
            raise EhcError(ADAPTER_UNAVAILABLE, problem)
        identities = {role: load_client_file(path, role)[1] for role in IDENTITY_ROLES}
        return GrpcNode(
            run, parsed.address, identities["terminal"], identities["admin"], identities=identities,
            tls=parsed.tls,
        )  # fmt: skip
    raise EhcError(ADAPTER_UNKNOWN, f"node adapter {spec!r}: use reference, {TARGET_SYNTAX} or mutant:NAME")


def restart_reference(running: Any, timeout_s: float = 10.0) -> None:
    """Stop the reference node the kit started (a ``RunningNode``) and start it again on the same
    store, configuration, gRPC address and HTTP port, in place: every holder of ``running`` (the
    adapter, a mutant platform in front of it) reaches the new process at the old addresses. What
    the envelope suites use to check that a request captured before a restart does not replay."""
    from dataclasses import fields

    from reference_node.runtime import start

    config, data_dir, target, http_port = (
        running.node.config,
        running.data_dir,
        running.target,
        running.http_port,
    )
    running.stop()
    ports = [int(target.rsplit(":", 1)[1]), *([http_port] if http_port else [])]
    deadline = time.monotonic() + timeout_s
    while not all(_port_free(p) for p in ports):  # the old servers let go of their ports asynchronously
        if time.monotonic() > deadline:
            raise EhcError(ADAPTER_UNAVAILABLE, f"reference node restart: ports {ports} still taken")
        time.sleep(0.05)
    fresh = start(data_dir, config=config, grpc_address=target, http_port=http_port)
    for f in fields(fresh):
        setattr(running, f.name, getattr(fresh, f.name))


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
