"""Start a front-end server for tests, benchmarks and other packages::

from reference_node.frontend.testing import start_frontend_process
fe = start_frontend_process(tmp_path, node.target, node.client_file, terminals=["T1"])
... fe.target, fe.client("T1") ..., fe.kill() (SIGKILL), fe.stop()
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

__all__ = ["FrontendProcess", "start_frontend_process"]


@dataclass
class FrontendProcess:
    """A front-end in a child process (``python -m reference_node.frontend``)."""

    target: str
    data_dir: Path
    process: _sp.Popen = field(repr=False)

    def credentials(self, terminal_id: str) -> Credentials:
        return load_client_file(self.data_dir / "terminals" / f"{terminal_id}.json")[1]

    def client(self, terminal_id: str) -> NodeClient:
        return NodeClient(self.target, self.credentials(terminal_id))

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


def start_frontend_process(
    tmp_path: str | os.PathLike[str],
    upstream: str,
    client_file: str | os.PathLike[str],
    *,
    terminals: tuple[str, ...] | list[str] = (),
    port: int = 0,
    extra_args: list[str] | None = None,
    timeout: float = 30.0,
) -> FrontendProcess:
    """Run ``python -m reference_node.frontend`` with its data in TMP/ehc-frontend; returns when it
    listens (its endpoint.json names its pid)."""
    data_dir = Path(tmp_path) / "ehc-frontend"
    data_dir.mkdir(parents=True, exist_ok=True)
    endpoint = data_dir / "endpoint.json"
    if endpoint.exists():
        endpoint.unlink()
    args = [sys.executable, "-m", "reference_node.frontend", "--client-file", str(client_file),
            "--upstream", upstream, "--data-dir", str(data_dir), "--port", str(port)]  # fmt: skip
    for t in terminals:
        args += ["--add-terminal", t]
    args += extra_args or []
    log_file = open(data_dir.parent / "frontend-process.log", "ab")  # noqa: SIM115 - lives with the process
    proc = _sp.Popen(args, stdout=log_file, stderr=_sp.STDOUT, cwd=os.getcwd())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"front-end exited with {proc.returncode}; see {data_dir.parent / 'frontend-process.log'}"
            )
        try:
            info = json.loads(endpoint.read_text()) if endpoint.exists() else None
        except ValueError:
            info = None
        # the terminals' client files are written right after the endpoint: wait for the last one
        if (
            info
            and info.get("pid") == proc.pid
            and all((data_dir / "terminals" / f"{t}.json").exists() for t in terminals)
        ):
            return FrontendProcess(info["target"], data_dir, proc)
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("front-end process did not start in time")
