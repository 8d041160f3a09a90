"""REL-F17: unauthenticated connections on the REST port cannot take the node down. Before: no
header-read timeout and no connection cap, so ~1,100 connections that sent nothing used up the
process's file descriptors; gRPC and REST then timed out for everyone and asyncio logged a
traceback per failed accept (48 MB of log in 6 s). The node runs in a subprocess with a lowered
RLIMIT_NOFILE (256) so the attack needs only a few hundred sockets and stays quick."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
import httpx
import pytest

from reference_node.client import NodeClient, load_client_file
from reference_node.proto.ehc.node.v1 import usage_pb2 as up

NOFILE = 256
HEADER_TIMEOUT_S = 1.5
BODY_TIMEOUT_S = 1.5

_LAUNCHER = f"""
import json, resource, sys, threading
from dataclasses import replace
resource.setrlimit(resource.RLIMIT_NOFILE, ({NOFILE}, {NOFILE}))
from reference_node.config import NodeConfig
from reference_node.observability import setup_logging
from reference_node.runtime import start
setup_logging("INFO", sys.stderr)
cfg = replace(NodeConfig(), http_header_timeout_s={HEADER_TIMEOUT_S}, http_body_timeout_s={BODY_TIMEOUT_S})
node = start(sys.argv[1], http_port=0, config=cfg)
print(json.dumps({{"target": node.target, "http_port": node.http_port}}), flush=True)
threading.Event().wait()
"""


@pytest.fixture
def served(tmp_path: Path):
    log_path = tmp_path / "node.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, str(tmp_path / "node")],
            stdout=subprocess.PIPE, stderr=log, cwd=os.getcwd(), env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError(f"node exited {proc.wait(10)}: {log_path.read_text()[-2000:]}")
    info = json.loads(line)
    try:
        yield info, tmp_path / "node", log_path
    finally:
        proc.kill()
        proc.wait(10)


def _grpc_ok(target: str, client_file: Path) -> bool:
    """A NEW gRPC connection (a terminal arriving during the attack) makes a signed call."""
    _, creds = load_client_file(client_file, "admin")
    try:
        with NodeClient(target, creds) as c:
            c.usage.QueryUsage(up.QueryUsageRequest(limit=1), timeout=5)
        return True
    except grpc.RpcError:
        return False


def _rest_ok(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def test_half_open_connections_neither_starve_grpc_nor_flood_the_log(served) -> None:
    info, data_dir, log_path = served
    port, target = info["http_port"], info["target"]
    assert _rest_ok(port) and _grpc_ok(target, data_dir / "client.json")
    size_before = log_path.stat().st_size
    attackers: list[socket.socket] = []
    try:
        for _ in range(2 * NOFILE):  # twice the node's whole descriptor table; nothing is ever sent
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            attackers.append(s)
        time.sleep(1.0)  # the node accepts what it can meanwhile
        # gRPC keeps its descriptors: a terminal connecting now is served at once
        assert _grpc_ok(target, data_dir / "client.json")
        # the port recovers by itself: silent connections are closed after the header timeout
        deadline = time.monotonic() + 10 * HEADER_TIMEOUT_S
        while not _rest_ok(port):
            assert time.monotonic() < deadline, "REST did not recover while the sockets stayed open"
            time.sleep(0.2)
        assert _grpc_ok(target, data_dir / "client.json")
    finally:
        for s in attackers:
            s.close()
    time.sleep(0.5)
    assert _rest_ok(port) and _grpc_ok(target, data_dir / "client.json")
    logged = log_path.read_text(errors="replace")[size_before:]
    assert "Traceback" not in logged
    # once per interval, with counts, not a line per connection
    lines = [json.loads(x) for x in logged.splitlines() if x.startswith("{")]
    limit_lines = [x for x in lines if "REST connection" in x.get("msg", x.get("message", ""))]
    assert 1 <= len(limit_lines) <= 6, logged[-2000:]
    assert len(logged) < 20_000


def test_slow_headers_and_a_missing_body_are_cut_off(served) -> None:
    info, _, _ = served
    port = info["http_port"]
    # headers trickled and never finished: closed after the header timeout
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST /v1/usage HTTP/1.1\r\nHost: x\r\n")
    s.settimeout(10 * HEADER_TIMEOUT_S)
    started = time.monotonic()
    assert s.recv(1024) == b""  # closed by the node, nothing answered
    assert time.monotonic() - started < 5 * HEADER_TIMEOUT_S
    s.close()
    # a body declared and never sent: 408 with the kit's code, then closed
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(
        b"POST /v1/usage HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
    )
    s.settimeout(10 * BODY_TIMEOUT_S)
    answer = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        answer += chunk
    s.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), answer[:200]
    assert json.loads(body)["code"] == "NODE_REQUEST_TIMEOUT"
    # a keep-alive connection that answered once has the same header bound for its next request
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    s.settimeout(5)
    first = b""
    while not first.endswith(b"}"):  # the whole first answer (headers and JSON body)
        chunk = s.recv(4096)
        assert chunk, first
        first += chunk
    assert first.startswith(b"HTTP/1.1 200")
    s.sendall(b"GET /healthz HTTP/1.1\r\n")  # ... and never the rest
    s.settimeout(10 * HEADER_TIMEOUT_S)
    started = time.monotonic()
    assert s.recv(1024) == b""
    assert time.monotonic() - started < 5 * HEADER_TIMEOUT_S
    s.close()
