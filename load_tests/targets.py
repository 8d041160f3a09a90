"""Targets of a run: ``HOST:PORT`` (any node), ``echo`` (the baseline server, started here) or
``reference`` (the kit's reference node, started for the run in a subprocess and seeded)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from ehc.errors import EhcError
from load_tests.errors import LOAD_BAD_TARGET, LOAD_TARGET_START_FAILED

__all__ = ["Target", "parse_target", "start_echo_server", "EchoProcess"]

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


class EchoProcess:
    """The echo server in its own process (so its CPU is not the load generator's)."""

    def __init__(self, threads: int = 16) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "load_tests.echo.server", "--port", "0", "--threads", str(threads)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.time() + START_TIMEOUT_S
        line = ""
        while time.time() < deadline:
            line = self.proc.stdout.readline() if self.proc.stdout else ""
            if line.startswith("READY "):
                break
            if self.proc.poll() is not None:
                break
        if not line.startswith("READY "):
            err = self.proc.stderr.read() if self.proc.stderr and self.proc.poll() is not None else ""
            self.stop()
            raise EhcError(LOAD_TARGET_START_FAILED, f"echo server did not start: {err.strip()[-300:]}")
        self.port = int(line.split()[1])
        self.address = f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> EchoProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_echo_server(threads: int = 16) -> EchoProcess:
    return EchoProcess(threads)
