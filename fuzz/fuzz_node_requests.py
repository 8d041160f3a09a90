"""Fuzz the node's request handling behind authentication: protobuf bytes from the fuzzer are
decoded with ``FromString`` (as the server does) and handed to the service operation of any
method of ehc.node.v1, as a terminal or as an admin, on a real SQLite store. Contract: a decode
error (the server answers NODE_FIELD_BAD_FORMAT) or EhcError — anything else is a crash (the
server would answer NODE_INTERNAL)."""

from __future__ import annotations

import tempfile

from _harness import Input, instrumented, main
from google.protobuf.message import DecodeError

from ehc.errors import EhcError

with instrumented(["reference_node", "qr_codec"]):
    from reference_node.config import NodeConfig
    from reference_node.extensions import load_extensions
    from reference_node.node import Caller
    from reference_node.runtime import start
    from reference_node.server import SERVICES

load_extensions()  # extension services (supervision) register themselves into SERVICES
METHODS = sorted((s, m) for s, methods in SERVICES.items() for m in methods)
AUTH = ("~auth", "headers")  # pseudo-method: the signature check on fuzzed x-ehc-* metadata
_STATE: dict[str, object] = {}


def node_and_callers():  # noqa: ANN201
    if not _STATE:
        data_dir = tempfile.mkdtemp(prefix="ehc-fuzz-node-")
        # synchronous=NORMAL: durability is not under test here, request handling is
        running = start(data_dir, config=NodeConfig(sqlite_synchronous="NORMAL"))
        creds, admin = running.credentials, running.admin_credentials
        _STATE.update(
            running=running,
            callers=(
                Caller(creds.terminal_id, creds.org_code, 1, "370800"),
                Caller(admin.terminal_id, admin.org_code, 2, "370800"),
            ),
        )
    return _STATE["running"].node, _STATE["callers"]


def call(service: str, method: str, payloads: list[bytes], as_admin: bool) -> None:
    node, callers = node_and_callers()
    op, req_type, kind = SERVICES[service][method]
    caller = callers[1 if as_admin else 0]
    try:
        requests = [req_type.FromString(p) for p in payloads]
    except DecodeError:
        return  # the server answers NODE_FIELD_BAD_FORMAT before any operation runs
    try:
        if kind == "unary":
            op(node, caller, requests[0])
        else:
            for _ in op(node, caller, iter(requests)):
                pass
    except EhcError:
        pass


def authenticate(inp: Input) -> None:
    node_and_callers()
    auth = _STATE["running"].grpc.authenticator
    creds = _STATE["running"].credentials
    names = ("x-ehc-terminal", "x-ehc-timestamp", "x-ehc-nonce", "x-ehc-signature")
    headers = {name: inp.text(80) for name in names}
    if inp.byte() & 1:
        headers["x-ehc-terminal"] = creds.terminal_id  # a real terminal: reaches the HMAC check
    body = inp.rest() if inp.byte() & 1 else None
    try:
        auth.authenticate(inp.pick(["/ehc.node.v1.UsageService/Report", "POST /v1/usage", ""]), headers, body)
    except EhcError:
        pass


def TestOneInput(data: bytes) -> None:  # noqa: N802
    inp = Input(data)
    service, method = inp.pick([*METHODS, AUTH])
    if (service, method) == AUTH:
        authenticate(inp)
        return
    as_admin = bool(inp.byte() & 1)
    count = 1 + inp.byte() % 3
    payloads = [inp.chunk(255) for _ in range(count - 1)] + [inp.rest()]
    call(service, method, payloads, as_admin)


if __name__ == "__main__":
    main(TestOneInput)
