"""Adapter of the ``his`` role: a hospital information system driven through the HIS driver
protocol (JSON lines). The kit is the node the HIS calls (upper tester) and the source of patients
(lower tester). ``driver:CMD`` runs the vendor's driver; ``reference`` the kit's own HIS.

Evidence: the HIS reaches the node only through the kit's proxy (``conformance_tests.faultproxy``);
every call it made during a driver operation is written to the test's transcript after the
driver's answer, and the suite judges on that transcript and the node's own records.

``api:tencent;SPEC`` (``ehc certify his --api tencent``): the kit speaks the Tencent
HealthCardOpenAPI envelope. The node serves its Tencent front door, the HIS is told only the
sandbox URL (an HTTP recording/fault proxy, ``conformance_tests.envelopeproxy``, with the same record
interface) and its app identity — never the node's gRPC address — so a HIS built against the
platform is certified as it ships. A mutant with ``api = "tencent"`` runs in that mode.
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
        api: str = "grpc",
    ) -> None:
        import os

        self.log = run.holder
        self.command = command
        self.api = api
        self._own_node = node is None
        if api == "tencent":
            from ..envelopeproxy import EnvelopeProxy

            self.node = node or start_tencent_reference(run)
            # the HIS calls the sandbox URL: a proxy in front of the node's Tencent front door
            self.proxy: Any = EnvelopeProxy(self.node.tencent_url, listen=listen)
        else:
            from ..faultproxy import FaultProxy

            self.node = node or start_reference(run, address=listen)
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
        settings = {
            "scenes": run.profile.param("scenes"),
            "hospital_cards": run.profile.param("hospital_cards", {}),
            "public_services": run.profile.param("public_services", {}),
        }
        if api == "tencent":
            c = self.credentials  # the app: appId = terminal id, appSecret = secret hex, hospitalId = org
            self.request(
                "configure",
                api="tencent",
                base_url=self.proxy.base_url,
                app_id=c.terminal_id,
                app_secret=c.secret.hex(),
                hospital_id=c.org_code,
                hospital_name=c.org_name,
                use_city=c.use_city,
                channel=c.channel,
                **settings,
            )
        else:
            self.request(
                "configure", node=self.proxy.target, credentials=self.credentials.to_dict(), **settings
            )

    def info(self) -> dict[str, Any]:
        return {
            "adapter": "his:driver",
            "api": self.api,
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
        hidden = ("credentials", "app_secret")
        self.log.call(f"his.{op}", {k: v for k, v in fields.items() if k not in hidden}, answer)
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


def start_tencent_reference(run: Any) -> Any:
    """The reference node with its Tencent front door on a free HTTP port (``tencent_url``), and
    the kit's own gRPC access to it (``call``, ``context``) for setting up patients and reading the
    node's records."""
    import tempfile
    from dataclasses import replace

    from reference_node.runtime import start

    from .node import GrpcNode, reference_config

    tmp = tempfile.TemporaryDirectory(prefix="ehc-certify-his-tencent-")
    config = replace(reference_config(run.profile), apis=("tencent",))
    running = start(f"{tmp.name}/ehc-node", config=config, http_port=0)
    node = GrpcNode(run, running.target, running.credentials, running.admin_credentials, owner=running)
    node._tmp = tmp
    node.tencent_url = f"http://127.0.0.1:{running.http_port}"
    return node


def split_api(spec: str) -> tuple[str, str]:
    """``api:tencent;REST`` -> ("tencent", REST); anything else -> ("grpc", spec)."""
    if spec.startswith("api:"):
        api, _, rest = spec[len("api:") :].partition(";")
        if api not in APIS:
            raise EhcError(ADAPTER_UNKNOWN, f"his adapter: api {api!r} is not one of {', '.join(APIS)}")
        return api, rest
    return "grpc", spec


APIS = ("grpc", "tencent")


def make(spec: str, run: Any) -> Any:
    api, spec = split_api(spec)
    if spec == "reference":
        return DriverHis(run, REFERENCE_DRIVER, api=api)
    if spec.startswith("mutant:"):
        name = spec[len("mutant:") :]
        from ..mutants import mutant_objects

        mutants = mutant_objects("his")
        if name not in mutants:
            raise EhcError(ADAPTER_UNKNOWN, f"no HIS mutant {name!r}; known: {', '.join(sorted(mutants))}")
        # a mutant of a HIS built against an envelope runs in that envelope's mode
        api = getattr(mutants[name], "api", None) or api
        return DriverHis(run, REFERENCE_DRIVER, env={"EHC_HIS_MUTANT": name}, api=api)
    # "[listen:HOST:PORT;]driver:CMD" - the kit's node (or sandbox URL) listens where the HIS expects it
    listen = None
    if spec.startswith("listen:"):
        listen, _, spec = spec[len("listen:") :].partition(";")
    if spec in ("", "reference"):
        return DriverHis(run, REFERENCE_DRIVER, listen=listen, api=api)
    command = shlex.split(spec.removeprefix("driver:"))
    if not command:
        raise EhcError(
            ADAPTER_UNKNOWN,
            "his adapter: use [api:tencent;]reference, [api:tencent;][listen:HOST:PORT;]driver:CMD or mutant:NAME",
        )
    return DriverHis(run, command, listen=listen, api=api)
