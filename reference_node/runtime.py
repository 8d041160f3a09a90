"""Start a node: data directory, keys, database, demo organisation/terminal, gRPC (+ HTTP) servers."""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ehc.errors import EhcError
from ehc.spec import areas
from reference_node.client import Credentials, NodeClient
from reference_node.config import NodeConfig
from reference_node.errors import CONFIG_INVALID, KEK_INVALID, PORT_BUSY
from reference_node.hsm import SoftwareHsm, check_private_file, init_key_file, resolve_kek
from reference_node.node import Node
from reference_node.observability import log
from reference_node.server import GrpcServer, build_server
from reference_node.services.registry import issue_credential_secret
from reference_node.store.db import open_database

LOG = logging.getLogger("reference_node")
DEMO_ORG = ("370800001", "济宁市演示医院 (demo hospital, TEST-ONLY)", "3")
DEMO_TERMINAL = "3708000015500"  # org code + department 5500 挂号处
ADMIN_ORG = ("370800000", "城市节点运营 (node operator, TEST-ONLY)", "9")
ADMIN_TERMINAL = "3708000009900"


def default_data_dir() -> Path:
    """$EHC_NODE_HOME, else the per-user data location: the same from any working directory."""
    from ehc.userdirs import node_home

    return node_home()


@dataclass
class RunningNode:
    """A node running in this process. ``target`` is host:port of the gRPC server."""

    target: str
    credentials: Credentials
    admin_credentials: Credentials
    client_file: Path
    data_dir: Path
    node: Node | None = None
    grpc: GrpcServer | None = None
    http_port: int | None = None
    _http_server: object = field(default=None, repr=False)
    _stopped: bool = False

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._http_server is not None:
            self._http_server.should_exit = True  # type: ignore[attr-defined]
        if self.grpc is not None:
            self.grpc.stop(1.0)
        if self.node is not None:
            from reference_node.store.group import close_committer

            close_committer(self.node)  # commit what is queued before the store closes
            self.node.close()

    def client(self, role: str = "terminal") -> NodeClient:
        """A signed client as the demo terminal (or ``role="admin"``)."""
        return NodeClient(self.target, self.credentials if role == "terminal" else self.admin_credentials)

    def __enter__(self) -> RunningNode:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def ensure_keys(data_dir: Path, keys: str | os.PathLike[str] | None, kek: bytes | None = None) -> Path:
    """The key file; created on first start when none is named: wrapped under the KEK when one is
    given, else plain and marked TEST-ONLY (a developer's ``ehc node serve``, with a warning)."""
    path = Path(keys) if keys else data_dir / "keys.json"
    if not path.exists():
        if keys:
            raise EhcError(
                CONFIG_INVALID, f"key file {path} does not exist (create it with `ehc node keys init`)"
            )
        init_key_file(path, kek=kek)
    return path


def private_data_dir(data: Path) -> None:
    """Create the data directory 0700 (keys, database, credentials); warn when an existing one is open."""
    if not data.exists():
        data.mkdir(parents=True, mode=0o700)
        os.chmod(data, 0o700)  # mkdir's mode is masked by the umask
    elif os.stat(data).st_mode & 0o077:
        log(LOG, logging.WARNING, "data directory is accessible to group or others; chmod 700 it",
            data_dir=str(data))  # fmt: skip


def _opens(entry: dict, secret: bytes, kek: bytes) -> bool:
    from reference_node.hsm import kek_open

    try:
        return kek_open(kek, bytes.fromhex(entry.get("secret_sealed", ""))) == secret
    except (EhcError, ValueError):
        return False


def provision_demo(
    node: Node, data_dir: Path, target: str, use_city: str, kek: bytes | None = None
) -> tuple[Credentials, Credentials, Path]:
    """On first start: a demo organisation + terminal and an admin terminal, with credentials in
    ``client.json`` (mode 0600) where ``ehc node client`` finds them. TEST-ONLY identities."""
    try:  # the node id is the demo terminals' use city: a code its own node would refuse (ID-008)
        areas.plausible_area(use_city, what="node id")
    except EhcError as err:
        raise EhcError(CONFIG_INVALID, f"{err.message} (--node-id or the profile's area.city)") from None
    client_file = data_dir / "client.json"
    existing: Any = None  # the file's JSON, when it exists
    if client_file.exists():
        check_private_file(client_file, "client file")
        try:
            existing = json.loads(client_file.read_text(encoding="utf-8"))
        except ValueError:
            existing = None
    creds: dict[str, Credentials] = {}
    for role, (org, org_name, level), terminal, ttype, trole in (
        ("terminal", DEMO_ORG, DEMO_TERMINAL, "01", 1),
        ("admin", ADMIN_ORG, ADMIN_TERMINAL, "99", 2),
    ):
        with node.db.transaction() as cur:
            cur.run(
                "INSERT INTO organisations (code, name, level, area_code) VALUES (?, ?, ?, ?) ON CONFLICT (code) DO NOTHING",
                (org, org_name, level, use_city),
            )
            cur.run(
                "INSERT INTO terminals (terminal_id, org_code, terminal_type, certification, role, description) "
                "VALUES (?, ?, ?, 2, ?, 'TEST-ONLY demo') ON CONFLICT (terminal_id) DO NOTHING",
                (terminal, org, ttype, trole),
            )
            row = cur.one(
                "SELECT secret_enc FROM credentials WHERE terminal_id = ? AND revoked = 0", (terminal,)
            )
        secret = node.hsm.open(bytes(row[0])) if row is not None else None
        if secret is None:
            secret, _ = issue_credential_secret(node, terminal)
        creds[role] = Credentials(
            terminal, secret, org, org_name, use_city, "0100", "010101", "5500" if trole == 1 else ""
        )
    if kek is None:
        doc: dict[str, Any] = {"target": target, "note": "TEST-ONLY credentials of a local demo node"}
        doc.update({role: c.to_dict() for role, c in creds.items()})
    else:  # secrets sealed under the KEK: the client needs EHC_NODE_KEK(_FILE) to use them
        doc = {"target": target, "note": "demo credentials, secrets sealed under the node's KEK"}
        doc.update({role: c.to_sealed_dict(kek) for role, c in creds.items()})
        same = existing is not None and existing.get("target") == target and all(
            isinstance(existing.get(r), dict) and existing[r].get("terminal_id") == c.terminal_id
            and _opens(existing[r], c.secret, kek) for r, c in creds.items()
        )  # fmt: skip
        if same:
            doc = existing
    if existing != doc:
        fd = os.open(client_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1)
    return creds["terminal"], creds["admin"], client_file


def start(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    db_url: str | None = None,
    keys: str | os.PathLike[str] | None = None,
    grpc_address: str = "127.0.0.1:0",
    http_port: int | None = None,
    http_host: str = "127.0.0.1",
    config: NodeConfig | None = None,
    workers: int = 16,
    tls: tuple[bytes, bytes] | None = None,
    max_concurrent_rpcs: int | None = 1024,
    kek_file: str | os.PathLike[str] | None = None,
    reuse_port: bool = False,
    write_endpoint: bool = True,
) -> RunningNode:
    """Start a node in this process (servers run on background threads). The key-encryption key
    comes from ``kek_file``, $EHC_NODE_KEK_FILE or $EHC_NODE_KEK; without one the keys are TEST-ONLY.
    ``reuse_port``: a worker of ``ehc node serve --processes N`` (reference_node.workers: the port is
    shared); ``write_endpoint``: False there, the supervisor writes endpoint.json."""
    config = config or NodeConfig()
    data = Path(data_dir) if data_dir else default_data_dir()
    private_data_dir(data)
    kek = resolve_kek(kek_file)
    if kek_file and Path(kek_file).resolve().is_relative_to(data.resolve()):
        raise EhcError(KEK_INVALID, "the KEK file lies in the data directory, next to the keys it protects")
    hsm = SoftwareHsm.from_file(ensure_keys(data, keys, kek), kek)
    if hsm.test_only:
        log(LOG, logging.WARNING, "TEST-ONLY node keys, stored in clear: give a KEK (EHC_NODE_KEK or "
            "--kek-file) and `ehc node keys wrap` them before real data", key_label=hsm.label)  # fmt: skip
    db = open_database(db_url, data, config.sqlite_synchronous)
    db.request_wait_ms = config.sqlite_lock_wait_ms
    node = Node.open(config, hsm, db)
    if db.dialect == "postgresql" and not config.shared_nonces:
        # PostgreSQL is how several node processes share one store; a replay to another process
        # is only caught with shared nonces (REL-F7: opt-in, it costs a write per call)
        log(LOG, logging.WARNING, "replay protection is per node process; start every process with "
            "--shared-nonces when several processes share this database")  # fmt: skip
    server = build_server(
        node,
        grpc_address,
        workers=workers,
        tls=tls,
        max_concurrent_rpcs=max_concurrent_rpcs,
        reuse_port=reuse_port,
    )
    host = grpc_address.rsplit(":", 1)[0] or "127.0.0.1"
    host = "127.0.0.1" if host in ("0.0.0.0", "[::]", "") else host
    target = f"{host}:{server.port}"
    terminal, admin, client_file = provision_demo(
        node, data, target, config.node_id, None if hsm.test_only else kek
    )
    running = RunningNode(target, terminal, admin, client_file, data, node, server)
    if http_port is not None:
        running._http_server, running.http_port = _start_http(node, server, http_host, http_port, reuse_port)
    log(LOG, logging.INFO, "node listening", grpc=target, http=running.http_port, store=db.describe(), node_id=config.node_id,
        client_file=str(client_file))  # fmt: skip
    if write_endpoint:
        (data / "endpoint.json").write_text(
            json.dumps({"target": target, "http_port": running.http_port, "pid": os.getpid()})
        )
    return running


def _start_http(
    node: Node, server: GrpcServer, host: str, port: int, reuse_port: bool = False
) -> tuple[object, int]:
    import socket

    import uvicorn

    from reference_node.gateway.app import create_app

    app = create_app(node, server.authenticator)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise EhcError(
            PORT_BUSY,
            f"cannot listen on {host}:{port} ({exc.strerror}): pass --http-port with a free port (0 = any)",
        ) from None
    from reference_node.gateway.connections import (
        descriptor_cap,
        guarded_protocol,
        quiet_accept_errors,
        raise_descriptor_limit,
    )

    raise_descriptor_limit()
    cap, fd_limit = descriptor_cap(node.config.http_max_connections)
    protocol = guarded_protocol(cap, node.config.http_header_timeout_s, node.metrics)
    cfg = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", http=protocol)

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            import asyncio

            quiet_accept_errors(asyncio.get_running_loop())
            await super().startup(sockets)

    http = Server(cfg)
    log(LOG, logging.INFO, "REST connection bounds", max_connections=cap, fd_limit=fd_limit,
        header_timeout_s=node.config.http_header_timeout_s, body_timeout_s=node.config.http_body_timeout_s)  # fmt: skip
    thread = threading.Thread(target=http.run, kwargs={"sockets": [sock]}, name="http", daemon=True)
    thread.start()
    import time

    for _ in range(200):
        if http.started:
            break
        time.sleep(0.02)
    return http, sock.getsockname()[1]
