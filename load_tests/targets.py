"""Targets of a run: ``HOST:PORT`` (any node), ``echo`` (the baseline server, started here) or
``reference`` (the kit's reference node, started for the run in a subprocess and seeded)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Self

from ehc.errors import EhcError
from load_tests.errors import LOAD_BAD_TARGET, LOAD_TARGET_START_FAILED

__all__ = [
    "Target",
    "parse_target",
    "start_echo_server",
    "EchoProcess",
    "ReferenceNodeProcess",
    "ServerProcess",
]

_HOST_PORT = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")
START_TIMEOUT_S = 30.0


@dataclass
class Target:
    kind: str  # "address" | "echo" | "reference"
    address: str = ""  # HOST:PORT once known
    mode: str = "node"  # API the actors speak: "node" (ehc.node.v1) or "echo"
    extra: dict[str, Any] = field(default_factory=dict)


def parse_target(text: str) -> Target:
    if text in ("echo", "reference"):
        return Target(kind=text, mode="echo" if text == "echo" else "node")
    m = _HOST_PORT.match(text)
    if not m or not 0 < int(m.group(2)) < 65536:
        raise EhcError(LOAD_BAD_TARGET, f"bad target {text!r}: use HOST:PORT, 'echo' or 'reference'")
    return Target(kind="address", address=text, mode="node")


def _discard(stream: Any) -> None:
    if stream is not None:
        for _ in stream:
            pass


class ServerProcess:
    """A server in its own process that prints ``READY <info>`` once serving (its CPU is not the
    load generator's); stopped with SIGTERM."""

    def __init__(self, argv: list[str], what: str) -> None:
        self.what = what
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + START_TIMEOUT_S
        line = ""
        while time.time() < deadline:
            line = self.proc.stdout.readline() if self.proc.stdout else ""
            if line.startswith("READY ") or self.proc.poll() is not None:
                break
        if not line.startswith("READY "):
            self.stop()
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise EhcError(LOAD_TARGET_START_FAILED, f"{what} did not start: {err.strip()[-400:]}")
        self.info = line[len("READY ") :].strip()
        # keep reading the server's later output so a full pipe never blocks it
        for stream in (self.proc.stdout, self.proc.stderr):
            threading.Thread(target=_discard, args=(stream,), daemon=True).start()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class EchoProcess(ServerProcess):
    def __init__(self, threads: int = 16) -> None:
        super().__init__(
            [sys.executable, "-m", "load_tests.echo.server", "--port", "0", "--threads", str(threads)],
            "echo server",
        )
        self.port = int(self.info)
        self.address = f"127.0.0.1:{self.port}"


class ReferenceNodeProcess(ServerProcess):
    """The kit's reference node (SQLite in ``data_dir`` unless ``db_url``), fresh for the run."""

    def __init__(
        self, data_dir: str, db_url: str | None = None, threads: int = 16, http: bool = False
    ) -> None:
        argv = [sys.executable, "-m", "load_tests.refnode", data_dir, "--threads", str(threads)]
        if http:
            argv.append("--http")
        if db_url:
            argv += ["--db-url", db_url]
        super().__init__(argv, "reference node")
        info = json.loads(self.info)
        self.address = info["target"]
        self.client_file = info["client_file"]
        self.http_url = f"http://127.0.0.1:{info['http_port']}" if info.get("http_port") else None


def start_echo_server(threads: int = 16) -> EchoProcess:
    return EchoProcess(threads)
