"""Targets that speak the Tencent HealthCardOpenAPI envelope (``ehc load bench --api tencent``).

* ``reference`` — ``ehc node serve --api tencent --http-port 0 --rate-limit 0`` in a subprocess (a
  fresh data directory); the app is the node's demo terminal from its ``client.json``.
* ``URL;client=FILE`` — a platform already running at URL; FILE is a client file in the format
  ``ehc node serve`` writes (the ``terminal`` credential is the app: appId = terminal id,
  appSecret = secret_hex, hospitalId = organisation code; docs/platforms.md).
* ``echo`` — ``load_tests.echo.http_server`` (FastAPI/uvicorn like the node's gateway).

Seeding goes through the envelope itself (``registerBatchHealthCard``, ≤ 1000 residents per call),
so a foreign platform is seeded the same way as the reference node.
"""

from __future__ import annotations

import json
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ehc.errors import EhcError
from ehc.spec.identifiers import mask_id
from ehc.spec.model import Person
from load_tests.errors import LOAD_BAD_TARGET, LOAD_SEED_FAILED, LOAD_TARGET_START_FAILED
from load_tests.targets import START_TIMEOUT_S, ServerProcess

__all__ = [
    "TencentTarget",
    "TencentNodeProcess",
    "parse_tencent_target",
    "prepare_tencent",
    "TENCENT_BATCH",
    "app_of_client_file",
]

TENCENT_BATCH = 1000  # the envelope's own bound on healthCardItems
_URL = re.compile(r"^https?://[A-Za-z0-9_.\-\[\]:]+(/[^\s;]*)?$")
_GENDER = {"1": "男", "2": "女"}


@dataclass
class TencentTarget:
    kind: str  # "reference" | "url" | "echo"
    url: str = ""
    client_file: str = ""


def parse_tencent_target(text: str) -> TencentTarget:
    """``reference``, ``echo`` or ``URL;client=FILE``; a bad form raises LOAD_BAD_TARGET."""
    if text in ("reference", "echo"):
        return TencentTarget(kind=text)
    url, sep, rest = text.partition(";")
    if not sep or not rest.startswith("client=") or not _URL.match(url):
        raise EhcError(
            LOAD_BAD_TARGET,
            f"bad --api tencent target {text!r}: use 'reference' or 'URL;client=FILE' "
            "(e.g. 'http://platform:8080;client=client.json')",
        )
    client_file = rest[len("client=") :]
    if not Path(client_file).is_file():
        raise EhcError(
            LOAD_BAD_TARGET, f"client file {client_file!r} of the --api tencent target does not exist"
        )
    app_of_client_file(client_file)  # readable and holding an app credential
    return TencentTarget(kind="url", url=url.rstrip("/"), client_file=client_file)


def app_of_client_file(path: str) -> dict[str, Any]:
    """The envelope app of a client file: its ``terminal`` credential (else ``admin``)."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        cred = doc.get("terminal") or doc["admin"]
        return {
            "app_id": str(cred["terminal_id"]),
            "app_secret": str(cred["secret_hex"]),
            "hospital_id": str(cred["org_code"]),
            "use_city": str(cred.get("use_city", "")),
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise EhcError(
            LOAD_BAD_TARGET,
            f"{path}: not a client file with a terminal credential (format of ehc node serve)",
        ) from None


class TencentNodeProcess:
    """``ehc node serve --api tencent`` in a fresh data directory (rate limit off unless asked:
    tests start one with a limit to see the bench's probe warn)."""

    def __init__(self, data_dir: str, rate_limit: float = 0.0, rate_burst: int = 200) -> None:
        # one process: app tokens live in the process that issued them (docs/platforms.md), so a
        # multi-process node would refuse a token fetched from its sibling
        argv = [
            sys.executable, "-m", "ehc.cli", "node", "serve", "--data-dir", data_dir, "--grpc-port", "0",
            "--http-port", "0", "--api", "tencent", "--processes", "1", "--rate-limit", f"{rate_limit:g}",
            "--rate-burst", str(rate_burst), "--log-level", "WARNING",
        ]  # fmt: skip
        Path(data_dir).chmod(0o700)  # the node refuses a data directory others can read
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        lines: queue.Queue[str] = queue.Queue()

        def pump() -> None:  # also keeps a full pipe from blocking the node later
            for line in self.proc.stderr or ():
                lines.put(line)
            lines.put("")

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.time() + START_TIMEOUT_S
        self.url = self.client_file = self.grpc_target = ""
        seen: list[str] = []
        while time.time() < deadline:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.time()))
            except queue.Empty:
                break
            if not line:
                break
            seen.append(line)
            m = re.search(r"listening: grpc ([^\s,]+).*?http (http://\S+?);.*client file (\S+)", line)
            if m:
                self.grpc_target, self.url, self.client_file = m.group(1), m.group(2).rstrip("/"), m.group(3)
                break
        if not self.url:
            self.stop()
            raise EhcError(LOAD_TARGET_START_FAILED, f"tencent node did not start: {''.join(seen)[-400:]}")

    def stop(self) -> None:
        ServerProcess.stop(self)  # type: ignore[arg-type]  # same SIGTERM-then-kill logic

    def __enter__(self) -> TencentNodeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class HttpEchoProcess(ServerProcess):
    def __init__(self) -> None:
        super().__init__(
            [sys.executable, "-m", "load_tests.echo.http_server", "--port", "0"], "HTTP echo server"
        )
        self.url = f"http://127.0.0.1:{int(self.info)}"


def _client(url: str, app: dict[str, Any]) -> Any:
    from reference_node.platforms.tencent_client import TencentClient

    return TencentClient(url, app["app_id"], app["app_secret"], app["hospital_id"])


def _item(p: Person) -> dict[str, Any]:
    return {
        "name": p.name,
        "gender": _GENDER.get(p.sex, ""),
        "nation": "汉族",
        "birthday": p.birth_date,
        "idNumber": p.id_number,
        "idType": "01",
        "phone1": p.phone,
    }


def seed_tencent(url: str, app: dict[str, Any], people: list[Person], log: Any = None) -> dict[str, Any]:
    """Register ``people`` through registerBatchHealthCard; returns the dataset (with a fresh app token)."""
    import httpx

    client = _client(url, app)
    persons: list[dict[str, Any]] = []
    started = time.time()
    try:
        for start in range(0, len(people), TENCENT_BATCH):
            chunk = people[start : start + TENCENT_BATCH]
            out = client.call("registerBatchHealthCard", {"healthCardItems": [_item(p) for p in chunk]})
            common = out.get("commonOut", {})
            if common.get("resultCode") != 0:
                raise EhcError(
                    LOAD_SEED_FAILED,
                    f"registerBatchHealthCard: resultCode {common.get('resultCode')} {str(common.get('errMsg'))[:200]}",
                )
            rows = out.get("rsp", {}).get("rspItems", [])
            for p, row in zip(chunk, rows, strict=False):
                if not row.get("healthCardId"):
                    raise EhcError(
                        LOAD_SEED_FAILED,
                        f"registering {mask_id(p.id_number)} failed: {str(row.get('errMsg'))[:200]}",
                    )
                ehcid = row["healthCardId"]
                persons.append({"ehcid": ehcid, "static_qr": row.get("qrCodeText") or f"{ehcid}:1",
                                "card_number": p.id_number})  # fmt: skip
            if len(rows) != len(chunk):
                raise EhcError(
                    LOAD_SEED_FAILED, f"platform answered {len(rows)} of {len(chunk)} registrations"
                )
        token = client.app_token
    except httpx.HTTPError as err:
        raise EhcError(
            LOAD_SEED_FAILED, f"seeding through the envelope failed: {type(err).__name__}: {err}"
        ) from None
    finally:
        client.close()
    if log:
        log(
            f"seeded {len(persons):,} residents through registerBatchHealthCard in {time.time() - started:.1f} s"
        )
    return {
        "persons": persons,
        "terminals": [],
        "expired_codes": [],
        "app": dict(app, token=token),
        "api": "tencent",
        "seed_seconds": round(time.time() - started, 2),
    }


def echo_tencent_dataset(people: list[Person]) -> dict[str, Any]:
    """The same shape for the HTTP echo (made-up codes and a TEST-ONLY app secret: the echo checks
    nothing, but the client builds and signs every envelope as for the platform)."""
    import secrets

    persons = []
    for p in people:
        ehcid = secrets.token_hex(32).upper()
        persons.append({"ehcid": ehcid, "static_qr": f"{ehcid}:1", "card_number": p.id_number})
    app = {"app_id": "ECHO0001", "app_secret": secrets.token_hex(32), "hospital_id": "LT0000001",
           "use_city": "370800", "token": secrets.token_hex(16).upper()}  # fmt: skip
    return {"persons": persons, "terminals": [], "expired_codes": [], "app": app, "api": "tencent"}


def prepare_tencent(
    target: TencentTarget, people: list[Person], stack: ExitStack, log: Any = None
) -> tuple[str, dict[str, Any], str]:
    """Start what must be started and seed; returns (base URL, dataset, label)."""
    if target.kind == "echo":
        echo = stack.enter_context(HttpEchoProcess())
        return echo.url, echo_tencent_dataset(people), f"HTTP echo ({echo.url})"
    if target.kind == "reference":
        data_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="ehc-load-tencent-"))
        node = stack.enter_context(TencentNodeProcess(data_dir))
        app = app_of_client_file(node.client_file)
        return node.url, seed_tencent(node.url, app, people, log), f"reference, tencent envelope ({node.url})"
    app = app_of_client_file(target.client_file)
    return target.url, seed_tencent(target.url, app, people, log), f"tencent envelope {target.url}"
