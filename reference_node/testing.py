"""Start a node for tests and other packages (conformance, load tests).

from reference_node.testing import start_node
node = start_node(tmp_path)                 # in-process, embedded SQLite, free port
node = start_node(tmp_path, db_url=pg_url)  # PostgreSQL
node = start_node(tmp_path, subprocess=True)  # separate process (kill -9 tests)
... node.target, node.credentials, node.admin_credentials, node.client() ...
node.stop()
"""

from __future__ import annotations

import json
import os
import signal
import subprocess as _sp
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from reference_node.client import Credentials, NodeClient, load_client_file
from reference_node.config import NodeConfig
from reference_node.runtime import RunningNode, start

__all__ = ["start_node", "NodeProcess", "RunningNode"]


@dataclass
class NodeProcess:
    """A node in a child process (``python -m reference_node serve``)."""

    target: str
    credentials: Credentials
    admin_credentials: Credentials
    client_file: Path
    data_dir: Path
    process: _sp.Popen = field(repr=False)
    http_port: int | None = None

    def client(self, role: str = "terminal") -> NodeClient:
        return NodeClient(self.target, self.credentials if role == "terminal" else self.admin_credentials)

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flush (crash test)."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except _sp.TimeoutExpired:
                self.kill()


def start_node(
    tmp_path: str | os.PathLike[str],
    db_url: str | None = None,
    *,
    subprocess: bool = False,
    config: NodeConfig | None = None,
    http: bool = False,
    extra_args: list[str] | None = None,
    timeout: float = 30.0,
) -> RunningNode | NodeProcess:
    data_dir = Path(tmp_path) / "ehc-node"
    if not subprocess:
        return start(data_dir, db_url=db_url, config=config, http_port=0 if http else None)
    endpoint = data_dir / "endpoint.json"
    if endpoint.exists():
        endpoint.unlink()
    args = [sys.executable, "-m", "reference_node", "serve", "--data-dir", str(data_dir), "--grpc-port", "0"]
    if http:
        args += ["--http-port", "0"]
    if db_url:
        args += ["--db", db_url]
    args += extra_args or []
    if "--processes" not in args:
        # `ehc node serve` runs one process per core by default; tests choose (EHC_TEST_NODE_PROCESSES,
        # default 1) so that the same suites run against a multi-process node (issue #14)
        args += ["--processes", os.environ.get("EHC_TEST_NODE_PROCESSES", "1")]
    log_file = open(data_dir.parent / "node-process.log", "ab")  # noqa: SIM115 - lives with the process
    proc = _sp.Popen(args, stdout=log_file, stderr=_sp.STDOUT, cwd=os.getcwd())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"node process exited with {proc.returncode}; see {data_dir.parent / 'node-process.log'}"
            )
        if endpoint.exists():
            try:
                info = json.loads(endpoint.read_text())
            except ValueError:
                info = None
            if info and info.get("pid") == proc.pid:
                target, creds = load_client_file(data_dir / "client.json")
                _, admin = load_client_file(data_dir / "client.json", "admin")
                return NodeProcess(
                    info["target"],
                    creds,
                    admin,
                    data_dir / "client.json",
                    data_dir,
                    proc,
                    info.get("http_port"),
                )
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("node process did not start in time")
