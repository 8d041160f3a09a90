"""Adapter of the ``his`` role: a hospital information system driven through the HIS driver
protocol (JSON lines). The kit is the node the HIS calls (upper tester) and the source of patients
(lower tester). ``driver:CMD`` runs the vendor's driver; ``reference`` the kit's own HIS.

Evidence: the HIS reaches the node only through the kit's proxy (``conformance_tests.faultproxy``);
every call it made during a driver operation is written to the test's transcript after the
driver's answer, and the suite judges on that transcript and the node's own records.
"""

from __future__ import annotations

import itertools
import json
import shlex
import subprocess
import sys
from typing import Any

from ehc.errors import EhcError

from ..errors import ADAPTER_UNKNOWN, DRIVER_PROTOCOL
from .node import start_reference

REFERENCE_DRIVER = [sys.executable, "-m", "conformance_tests.drivers.reference_his"]


class DriverHis:
    def __init__(
        self,
        run: Any,
        command: list[str],
        env: dict[str, str] | None = None,
        node: Any = None,
        listen: str | None = None,
    ) -> None:
        import os

        self.log = run.holder
        self.command = command
        self._own_node = node is None
        self.node = node or start_reference(run, address=listen)
        from ..faultproxy import FaultProxy

        # the HIS talks to the node through a proxy that can refuse calls (retry tests)
        self.proxy = FaultProxy(self.node.target)
        self._ids = itertools.count(1)
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            env={**os.environ, **(env or {})},
        )
        self.credentials = self.node.terminal.credentials  # the HIS's identity at the node
        self.hello = self.request("hello")
        self.request(
            "configure",
            node=self.proxy.target,
            credentials=self.credentials.to_dict(),
            scenes=run.profile.param("scenes"),
            hospital_cards=run.profile.param("hospital_cards", {}),
        )

    def info(self) -> dict[str, Any]:
        return {
            "adapter": "his:driver",
            "driver": json.dumps(self.hello.get("driver", {}), ensure_ascii=False),
        }

    def request(self, op: str, **fields: Any) -> dict[str, Any]:
        if self.proc.poll() is not None:
            raise EhcError(DRIVER_PROTOCOL, f"HIS driver exited with {self.proc.returncode}")
        message = {"id": next(self._ids), "op": op, **fields}
        mark = self.proxy.mark()
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(message, ensure_ascii=False) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise EhcError(DRIVER_PROTOCOL, f"HIS driver closed stdout during {op}")
        answer = json.loads(line)
        if answer.get("id") != message["id"]:
            raise EhcError(DRIVER_PROTOCOL, f"answer id {answer.get('id')} for request {message['id']}")
        self.log.call(f"his.{op}", {k: v for k, v in fields.items() if k != "credentials"}, answer)
        for call in self.proxy.since(mark):  # what the node was actually asked, as the proxy saw it
            self.log.call(
                f"node received {call.name}", call.summary(), {"outcome": call.outcome, "status": call.status}
            )
        return answer

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self.request("bye")
                self.proc.wait(5)
        except Exception:  # noqa: BLE001
            pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proxy.close()
        if self._own_node:
            self.node.close()


def make(spec: str, run: Any) -> Any:
    if spec == "reference":
        return DriverHis(run, REFERENCE_DRIVER)
    if spec.startswith("mutant:"):
        name = spec[len("mutant:") :]
        from ..mutants import mutant_objects

        mutants = mutant_objects("his")
        if name not in mutants:
            raise EhcError(ADAPTER_UNKNOWN, f"no HIS mutant {name!r}; known: {', '.join(sorted(mutants))}")
        return DriverHis(run, REFERENCE_DRIVER, env={"EHC_HIS_MUTANT": name})
    # "[listen:HOST:PORT;]driver:CMD" - the kit's node listens where the HIS expects it
    listen = None
    if spec.startswith("listen:"):
        listen, _, spec = spec[len("listen:") :].partition(";")
    if spec in ("", "reference"):
        return DriverHis(run, REFERENCE_DRIVER, listen=listen)
    command = shlex.split(spec.removeprefix("driver:"))
    if not command:
        raise EhcError(
            ADAPTER_UNKNOWN, "his adapter: use reference, [listen:HOST:PORT;]driver:CMD or mutant:NAME"
        )
    return DriverHis(run, command, listen=listen)
