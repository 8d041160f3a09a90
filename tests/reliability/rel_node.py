"""Node processes for kill tests, started ahead of time: the next process is spawned and has
imported the node while the current one is still being loaded, so a restart after SIGKILL costs
only opening the store and binding the port, not Python start-up (the dominant cost on a busy
machine). Same command line semantics as ``ehc node serve`` (``reference_node.runtime.start``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from reference_node.client import Credentials, NodeClient, load_client_file

_LAUNCHER = r"""
import json, sys, threading
from reference_node.runtime import start
line = sys.stdin.readline()  # blocks until the test says go: imports are done by then
if not line.strip():
    sys.exit(0)
args = json.loads(line)
node = start(args["data_dir"], db_url=args["db_url"])
print(json.dumps({"target": node.target}), flush=True)
threading.Event().wait()
"""


@dataclass
class KillableNode:
    process: subprocess.Popen
    target: str
    credentials: Credentials
    admin_credentials: Credentials

    def client(self, role: str = "terminal") -> NodeClient:
        return NodeClient(self.target, self.credentials if role == "terminal" else self.admin_credentials)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)


class NodeLauncher:
    """``launch()`` returns a running node; a warm process is always waiting for the next call."""

    def __init__(self, data_dir: Path, db_url: str | None, log: Path) -> None:
        self.data_dir, self.db_url, self.log = Path(data_dir), db_url, log
        self._warm = self._spawn()

    def _spawn(self) -> subprocess.Popen:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        log = open(self.log, "ab")  # noqa: SIM115 - lives with the process
        return subprocess.Popen([sys.executable, "-c", _LAUNCHER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=log, env=env)  # fmt: skip

    def launch(self, timeout: float = 60.0) -> KillableNode:
        proc, self._warm = self._warm, self._spawn()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(
            (json.dumps({"data_dir": str(self.data_dir), "db_url": self.db_url}) + "\n").encode()
        )
        proc.stdin.flush()
        line = proc.stdout.readline()  # the pipe is closed if the process dies: no hang
        if not line:
            raise RuntimeError(f"node process exited with {proc.wait(10)}; see {self.log}")
        target = json.loads(line)["target"]
        client_file = self.data_dir / "client.json"
        _, creds = load_client_file(client_file)
        _, admin = load_client_file(client_file, "admin")
        return KillableNode(proc, target, creds, admin)

    def close(self) -> None:
        if self._warm.poll() is None:
            self._warm.kill()
            self._warm.wait(10)
