"""What ``ehc certify ROLE`` checks before any test runs and before any report is written.

A usage mistake (bad option value, unreadable or malformed file, wrong device syntax) exits 2; a
device that is not there (node not answering its health check, no such PC/SC reader, driver
command not found or exiting at once) exits 3. Either way ONE line on stderr says what to pass:
a run of 128 erroring tests and a signed FAIL report would blame the device for the lab's typo.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

from ehc.errors import EhcError

USAGE = 2
UNREACHABLE = 3
DRIVER_START_S = 1.0  # a driver still running after this long has not "exited at once"

#: What ``--target``/``--reader``/``--driver`` take, per role (also shown by ``--help``).
DEVICE_SYNTAX = {
    "codec": "reference | mutant:NAME | module:pkg.mod:factory",
    "node": (
        "reference | HOST:PORT;client=FILE[;ca=FILE][;cert=FILE;key=FILE][;name=SERVER_NAME][;tls=on]"
        " | mutant:NAME | module:pkg.mod:factory"
    ),
    "card": "emulated | [reader:]READER[;psam=PSAM_READER] | mutant:NAME | module:pkg.mod:factory",
    "psam": 'emulated | "CARD_READER;psam=PSAM_READER" | mutant:NAME | module:pkg.mod:factory',
    "terminal": 'reference | "[driver:]COMMAND ARGS...[;cards=socket|pcsc]" | mutant:NAME | module:pkg.mod:factory',
    "his": 'reference | "[driver:]COMMAND ARGS..." (with --listen HOST:PORT) | mutant:NAME',
    "node-tencent": "reference | URL;client=FILE | URL;app=ID;secret=HEX;hospital=CODE | mutant:NAME",
    "node-qinghai": "reference | URL;client=FILE | URL;user=ID;secret=HEX;org=CODE | mutant:NAME",
    "node-sichuan": "reference | URL;client=FILE[;aes=ECB|CBC] | URL;app=ID;secret=HEX[;aes=CBC] | mutant:NAME",
}
DEVICE_OPTION = {
    "codec": "--parser",
    "node": "--target",
    "card": "--reader",
    "psam": "--reader",
    "terminal": "--driver",
    "his": "--driver",
    "node-tencent": "--target",
    "node-qinghai": "--target",
    "node-sichuan": "--target",
}


class Preflight(Exception):
    """A reason not to start the run: ``exit_code`` (2 usage, 3 unreachable) and one line."""

    def __init__(self, exit_code: int, message: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.message = message


def _usage(message: str) -> Preflight:
    return Preflight(USAGE, message)


def _one_line(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, EhcError) else str(exc)
    return " ".join(text.split())[:400]


def check_options(role: str, kw: dict[str, Any]) -> None:
    """Profile, declaration, waivers, lab key, date and replay directory are usable."""
    from .catalogue import default_catalogue
    from .declaration import load_declaration
    from .profiles import load_profile
    from .waivers import load_waivers

    if role == "psam":  # PSAM-011's PUK: a malformed one is the lab's typo, not the PSAM's fault
        from .adapters.card import lab_puk

        try:
            lab_puk()
        except EhcError as exc:
            raise _usage(_one_line(exc)) from None
    catalogue = default_catalogue()
    try:
        load_profile(kw.get("profile") or "national", catalogue)
    except EhcError as exc:
        raise _usage(f"--profile: {_one_line(exc)} (`ehc certify profiles` lists them)") from None
    if kw.get("declaration"):
        try:
            decl = load_declaration(kw["declaration"], catalogue)
        except EhcError as exc:
            raise _usage(f"--declaration {kw['declaration']}: {_one_line(exc)}") from None
        if role not in decl.roles:
            raise _usage(
                f"--declaration {kw['declaration']} claims roles {', '.join(decl.roles)}, not {role}: "
                f'add "{role}" to [claims] roles'
            )
    if kw.get("waivers"):
        try:
            load_waivers(kw["waivers"], catalogue)
        except EhcError as exc:
            raise _usage(f"--waivers {kw['waivers']}: {_one_line(exc)}") from None
    if kw.get("lab_key"):
        from .reportsign import load_lab_key

        try:
            load_lab_key(kw["lab_key"])
        except (EhcError, OSError, ValueError) as exc:
            raise _usage(
                f"--lab-key {kw['lab_key']}: {_one_line(exc)} (an SM2 PEM from `ehc certify lab-key`)"
            ) from None
    if kw.get("today"):
        try:
            dt.date.fromisoformat(kw["today"])
        except ValueError:
            raise _usage(f"--today {kw['today']!r}: pass a date as YYYY-MM-DD") from None
    if kw.get("replay"):
        report = Path(kw["replay"]) / "report.json"
        try:
            info = json.loads(report.read_text(encoding="utf-8")).get("hypothesis")
        except (OSError, ValueError, AttributeError):
            info = None
        if not isinstance(info, dict):
            raise _usage(f"--replay {kw['replay']}: no readable report.json (pass a report directory)")


def check_device(role: str, spec: str) -> None:
    """The device spec is well-formed and the device answers (see the module docstring)."""
    option = DEVICE_OPTION.get(role, "--dut")
    syntax = f"pass {option} {DEVICE_SYNTAX.get(role, '')}"
    if spec.startswith("mutant:"):
        if not spec[len("mutant:") :]:
            raise _usage(f"{option} mutant: names no mutant; `ehc certify selftest --role {role}` lists them")
        return
    if spec.startswith("module:"):
        _check_module(spec, option)
        return
    if role == "node":
        _check_node(spec, syntax)
    elif role in ("card", "psam"):
        _check_readers(spec, option, syntax)
    elif role == "terminal":
        _check_driver(spec, option, syntax)
    elif role == "his":
        _check_his(spec, option, syntax)
    elif role.startswith("node-") and spec != "reference":
        _check_platform(role, spec, syntax)
    elif role == "codec" and spec != "reference":
        raise _usage(f"{option} {spec!r} is not a {role} device; {syntax}")
    # other roles: their adapter checks the spec when the run starts


def check(role: str, spec: str, kw: dict[str, Any]) -> None:
    check_options(role, kw)
    check_device(role, spec)


def _check_module(spec: str, option: str) -> None:
    import importlib

    module_name, _, attr = spec[len("module:") :].rpartition(":")
    if not module_name or not attr:
        raise _usage(f"{option} {spec!r}: a vendor adapter is module:package.module:factory")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise _usage(f"{option} {spec!r}: {_one_line(exc)} (is the vendor package installed?)") from None
    if not callable(factory):
        raise _usage(f"{option} {spec!r}: {attr} is not a factory(run)")


def _check_node(spec: str, syntax: str) -> None:
    if spec == "reference":
        return
    from .adapters.node import check_spec, parse_target, probe

    if ";" not in spec and ":" in spec:
        raise _usage(
            f"--target {spec}: no client file (the node's credentials); {syntax}"
            " (`ehc node client identities --out FILE` writes one)"
        )
    try:
        target = parse_target(spec)
    except EhcError as exc:
        raise _usage(f"--target: {_one_line(exc)}") from None
    problem = check_spec(spec)  # the identities the authorisation tests need
    if problem:
        raise _usage(problem)
    try:
        probe(target)
    except EhcError as exc:
        raise Preflight(UNREACHABLE, _one_line(exc)) from None


def _check_readers(spec: str, option: str, syntax: str) -> None:
    if spec in ("emulated", "reference"):
        return
    name, *parts = spec.removeprefix("reader:").split(";")
    wanted = {"card reader": name}
    for part in parts:
        key, eq, value = part.partition("=")
        if key == "psam" and eq and value and value != "emulated":  # emulated: the kit's PSAM (H3)
            wanted["PSAM reader"] = value
    if any(not n.strip() for n in wanted.values()):
        raise _usage(f"{option} {spec!r}: an empty reader name; {syntax}")
    try:
        from smartcard.System import readers
    except ImportError as exc:
        raise Preflight(
            UNREACHABLE, f"pyscard is not installed ({exc}): no PC/SC reader can be used"
        ) from None
    try:
        present = [str(r) for r in readers()]
    except Exception as exc:  # noqa: BLE001 - pyscard raises its own classes when pcscd is away
        raise Preflight(
            UNREACHABLE, f"no PC/SC service answers ({type(exc).__name__}): is pcscd running?"
        ) from None
    for what, reader in wanted.items():
        if reader not in present:
            listed = "; ".join(repr(r) for r in present) or "none"
            raise Preflight(UNREACHABLE, f"no {what} named {reader!r}; readers present: {listed}")
    if not any(part.partition("=")[0] == "psam" for part in parts):
        from .adapters.card import check_lab_psam  # NAME alone: a PSAM in NAME, or found in another reader

        try:
            check_lab_psam(name)
        except EhcError as exc:
            raise Preflight(UNREACHABLE, _one_line(exc)) from None


def _driver_command(spec: str, option: str, syntax: str) -> list[str]:
    try:
        command = shlex.split(spec.removeprefix("driver:"))
    except ValueError as exc:
        raise _usage(f"{option} {spec!r}: {exc} (quote the command once); {syntax}") from None
    if not command:
        raise _usage(f"{option} names no command; {syntax}")
    return command


def _check_driver(spec: str, option: str, syntax: str, role: str = "terminal") -> None:
    full_spec, spec = spec, spec.partition(";")[0]  # ";cards=socket|pcsc": the card channel option
    if role == "terminal":
        from .adapters.terminal import parse_spec

        try:
            parse_spec(full_spec)
        except EhcError as exc:
            raise _usage(f"{option} {full_spec!r}: {exc.message}") from None
    if spec.removeprefix("driver:").strip() == "reference":
        return
    command = _driver_command(spec, option, syntax)
    program = command[0]
    found = program if os.sep in program and os.access(program, os.X_OK) and Path(program).is_file() else None
    found = found or (shutil.which(program) if os.sep not in program else None)
    if not found:
        raise Preflight(
            UNREACHABLE, f'driver command {program!r} not found or not executable; {option} "COMMAND ARGS"'
        )
    # A driver speaks JSON lines on stdin/stdout and waits for the first request: one that exits
    # at once (missing module, bad arguments) would error every test.
    try:
        proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
    except OSError as exc:
        raise Preflight(UNREACHABLE, f"driver command {program!r} cannot start: {exc.strerror}") from None
    try:
        code = proc.wait(DRIVER_START_S)
    except subprocess.TimeoutExpired:
        code = None
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.stdin is not None and proc.stderr is not None
    proc.stdin.close()
    err = proc.stderr.read().decode("utf-8", "replace").strip().splitlines() if code is not None else []
    proc.stderr.close()
    if code is None:
        # Still running after DRIVER_START_S: the run starts it again for the tests. A driver of
        # another protocol version (v1 expects card images) is refused here, before any test.
        if role != "terminal":
            return
        from .adapters.terminal import check_driver

        problem = check_driver(full_spec)
        if problem:
            raise _usage(problem)
        return
    last = f": {err[-1][:200]}" if err else ""
    raise Preflight(UNREACHABLE, f"driver {' '.join(command)[:200]!r} exited at once with code {code}{last}")


def _check_his(spec: str, option: str, syntax: str) -> None:
    if spec.startswith("api:"):  # --api tencent: the kit speaks the Tencent envelope
        api, _, spec = spec[len("api:") :].partition(";")
        if api not in ("grpc", "tencent"):
            raise _usage(f"--api {api!r} is not grpc or tencent")
        if spec.startswith("mutant:"):
            return
    if spec.startswith("listen:"):
        listen, _, spec = spec[len("listen:") :].partition(";")
        host, _, port = listen.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise _usage(f"--listen {listen!r} is not HOST:PORT")
    if spec in ("", "reference"):
        return
    _check_driver(spec, option, syntax, role="his")


def _check_platform(role: str, spec: str, syntax: str) -> None:
    """A node certified through an envelope (``--api``): the target parses (2) and its base URL
    answers HTTP at all (3) — any HTTP status will do, a refused connection will not."""
    import importlib

    import httpx

    adapter = importlib.import_module(f"conformance_tests.adapters.{role.removeprefix('node-')}")
    try:
        url = adapter.parse_spec(spec)[0]
    except EhcError as exc:
        raise _usage(f"--target {spec}: {_one_line(exc)}; {syntax}") from None
    try:
        httpx.get(url, timeout=5.0)
    except httpx.HTTPError as exc:
        raise Preflight(
            UNREACHABLE,
            f"--target {url} does not answer HTTP ({_one_line(exc)}): start the platform or fix the URL",
        ) from None
