"""``ehc certify``: run conformance suites against a device under test and handle reports.

Exit codes: 0 the run passes (every applicable must-requirement passes, no waiver problem);
1 it fails; 2 bad options/configuration (usage: wrong device syntax, unreadable or malformed file);
3 the DUT or a suite is unavailable (node not answering its health check, no such reader, driver
not found or exiting at once). 2 and 3 are decided before any test runs and before any report is
written (``preflight.py``), with one line on stderr that says what to pass.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from ehc.clitools import emit, fail
from ehc.errors import EhcError

from .catalogue import default_catalogue
from .preflight import DEVICE_SYNTAX, Preflight, check
from .profiles import available_profiles, load_profile
from .runner import RunOptions, run


def _run_options(f):
    options = [
        click.option("--profile", default="national", show_default=True, help="conformance profile"),
        click.option(
            "--declaration",
            type=click.Path(exists=True, dir_okay=False),
            help="vendor declaration (ICS) TOML",
        ),
        click.option("--waivers", type=click.Path(exists=True, dir_okay=False), help="expected-failure TOML"),
        click.option(
            "--out",
            type=click.Path(file_okay=False),
            help="report directory (default ./ehc-report-ROLE-TIME)",
        ),
        click.option("--certification", is_flag=True, help="certification run: derandomised, fixed seed"),
        click.option("--seed", type=int, help="Hypothesis seed of a development run"),
        click.option("--max-examples", type=int, help="Hypothesis examples per property"),
        click.option(
            "--lab-key", type=click.Path(exists=True, dir_okay=False), help="lab SM2 private key (PEM)"
        ),
        click.option(
            "--replay",
            type=click.Path(exists=True, file_okay=False),
            help="replay a report dir's seed and failures",
        ),
        click.option("--today", help="date for waiver expiry checks (YYYY-MM-DD)"),
        click.option("-k", "select", help="pytest -k expression (development runs only)"),
        click.option("--quiet", is_flag=True, help="no per-test progress lines"),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _execute(role: str, dut: str, **kw) -> None:
    if kw.get("certification") and (kw.get("select") or kw.get("seed") is not None):
        click.echo("--certification runs every test with the fixed seed: drop -k/--seed", err=True)
        sys.exit(2)
    try:
        check(role, dut, kw)  # usage (2) and an absent device (3) stop here, before any test
    except Preflight as problem:
        click.echo(f"ehc certify {role}: {problem.message}", err=True)
        sys.exit(problem.exit_code)
    out = kw.pop("out") or f"ehc-report-{role}-{dt.datetime.now():%Y%m%dT%H%M%S}"
    opts = RunOptions(role=role, dut=dut, out=out, **kw)
    code = run(opts)
    if code == 5:
        click.echo(f"ehc certify {role}: no suite installed for this role", err=True)
        sys.exit(3)
    if code not in (0, 1):
        click.echo(f"ehc certify {role}: the run could not be completed (pytest exit {code})", err=True)
        sys.exit(2)
    sys.exit(code)


@click.group("certify")
def certify() -> None:
    """Conformance certification: run suites, check coverage, verify signed reports."""


@certify.command("codec")
@click.option(
    "--parser",
    "dut",
    default="reference",
    show_default=True,
    help=DEVICE_SYNTAX["codec"],
)
@_run_options
def codec_cmd(dut: str, **kw) -> None:
    """Certify a QR text codec (parser/builder library) against the QR requirements."""
    _execute("codec", dut, **kw)


@certify.command("node")
@click.option(
    "--target",
    "dut",
    default="reference",
    show_default=True,
    help=(
        f"{DEVICE_SYNTAX['node']}. client= the node's credentials (terminal, peer, foreign, admin; "
        "`ehc node client identities` writes them); ca= the CA of a TLS node's certificate (turns "
        "TLS on); cert=/key= a client certificate for mutual TLS; name= the name in the node's "
        "certificate when it is not HOST; tls=on TLS with the system roots. The client file may "
        'carry the TLS part as "tls": {"ca", "cert", "key", "server_name"}'
    ),
)
@click.option(
    "--api",
    type=click.Choice(["grpc", "tencent", "qinghai", "sichuan"]),
    default="grpc",
    show_default=True,
    help="the interface certified: grpc (ehc.node.v1) or a platform envelope hospitals call "
    "(tencent HealthCardOpenAPI, qinghai SOAP, sichuan bizContent; --target is then the base URL: "
    "URL;client=FILE). docs/platforms.md",
)
@click.option(
    "--client-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="the node's credentials, as in the other commands: the same as ;client=FILE in --target",
)
@_run_options
def node_cmd(dut: str, api: str, client_file: str | None, **kw) -> None:
    """Certify a city node over gRPC (TLS when the target names a CA), or through a platform
    envelope with --api.

    \b
    Examples:
      ehc certify node --target "node.example:50051;client=client.json;ca=lab-ca.pem"
      ehc certify node --api tencent --target "http://127.0.0.1:8080;client=client.json"
      ehc certify node --target node.example:50051 --client-file client.json
    """
    if client_file is not None:  # the kit's one name for a client file (docs/cli.md)
        if dut == "reference" or dut.startswith("mutant:") or "client=" in dut:
            raise click.UsageError("--client-file goes with a HOST:PORT or URL --target without client=")
        dut = f"{dut};client={client_file}"
    _execute("node" if api == "grpc" else f"node-{api}", dut, **kw)


@certify.command("card")
@click.option(
    "--reader",
    "dut",
    default="emulated",
    show_default=True,
    help=DEVICE_SYNTAX["card"],
)
@_run_options
def card_cmd(dut: str, **kw) -> None:
    """Certify a resident health card (WS/T 543) in a reader or the emulator."""
    _execute("card", dut, **kw)


@certify.command("psam")
@click.option(
    "--reader",
    "dut",
    default="emulated",
    show_default=True,
    help=DEVICE_SYNTAX["psam"] + " (the PSAM is the device under test)",
)
@_run_options
def psam_cmd(dut: str, **kw) -> None:
    """Certify a PSAM (terminal security module) in a reader or the emulator."""
    _execute("psam", dut, **kw)


@certify.command("terminal")
@click.option(
    "--driver",
    "dut",
    default="reference",
    show_default=True,
    help=DEVICE_SYNTAX["terminal"] + " (a driver speaks the JSON-lines protocol)",
)
@_run_options
def terminal_cmd(dut: str, **kw) -> None:
    """Certify a terminal through its driver (JSON-lines protocol, docs/certification.md)."""
    _execute("terminal", dut, **kw)


@certify.command("his")
@click.option(
    "--listen", default=None, help="HOST:PORT the kit's node listens on for the HIS (default: a free port)"
)
@click.option("--driver", default="reference", show_default=True, help=DEVICE_SYNTAX["his"])
@click.option(
    "--api",
    type=click.Choice(["grpc", "tencent"]),
    default="grpc",
    show_default=True,
    help="what the kit speaks to the HIS: grpc (ehc.node.v1) or tencent (the HealthCardOpenAPI "
    "envelope at a sandbox URL; --listen then names that URL's HOST:PORT)",
)
@_run_options
def his_cmd(listen: str | None, driver: str, api: str, **kw) -> None:
    """Certify a hospital information system's calls and usage reports."""
    dut = driver if driver.startswith("mutant:") else (f"listen:{listen};{driver}" if listen else driver)
    if api != "grpc":
        dut = f"api:{api};{dut}"
    _execute("his", dut, **kw)


@certify.command("requirements")
@click.option("--role", help="only requirements of this role")
@click.option("--profile", help="only requirements the profile selects")
@click.option("--json", "as_json", is_flag=True)
def requirements_cmd(role: str | None, profile: str | None, as_json: bool) -> None:
    """List the requirements catalogue."""
    try:
        catalogue = default_catalogue()
        selected = sorted(catalogue, key=lambda r: r.id)
        if profile:
            prof = load_profile(profile, catalogue)
            selected = [r for r in selected if prof.includes(r)]
        if role:
            selected = [r for r in selected if role in r.roles]
    except EhcError as exc:
        fail(exc, as_json, exit_code=2)
    if as_json:
        emit([r.to_dict() for r in selected])
        return
    for r in selected:
        flag = "C" if r.status == "confirmed" else "I"
        scope = "  [out of scope]" if r.out_of_scope else ""
        click.echo(f"{r.id:<16} {r.level:<6} [{flag}] {','.join(r.roles):<22} {r.text}  ({r.source}){scope}")
    click.echo(f"{len(selected)} requirements", err=True)


@certify.command("profiles")
@click.option("--json", "as_json", is_flag=True)
def profiles_cmd(as_json: bool) -> None:
    """List the conformance profiles and their inheritance."""
    catalogue = default_catalogue()
    loaded = [(name, load_profile(name, catalogue)) for name in available_profiles()]
    if as_json:
        emit([{"name": name, "chain": list(p.chain), "requirements": len(p.requirement_ids), "title": p.title}
              for name, p in loaded])  # fmt: skip
        return
    for name, p in loaded:
        click.echo(
            f"{name:<16} {' -> '.join(p.chain):<28} {len(p.requirement_ids):>4} requirements  {p.title}"
        )


@certify.command("coverage")
@click.option("--role", help="only requirements of this role")
@click.option(
    "--csv", "csv_path", type=click.Path(dir_okay=False), help="also write requirement,status,tests CSV"
)
@click.option("--json", "as_json", is_flag=True)
def coverage_cmd(role: str | None, csv_path: str | None, as_json: bool) -> None:
    """Requirements no suite test covers; fails unless each is out of scope with a reason."""
    from .coverage import coverage

    result = coverage(role=role)
    catalogue = default_catalogue()
    if csv_path:
        import csv

        with open(csv_path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["requirement", "status", "tests_or_reason"])
            for r in sorted(catalogue, key=lambda r: r.id):
                if role and role not in r.roles:
                    continue
                tests = result.tests_by_requirement.get(r.id)
                status = (
                    "covered" if tests else ("out-of-scope" if r.id in result.out_of_scope else "uncovered")
                )
                w.writerow([r.id, status, " ".join(tests) if tests else (r.out_of_scope or "")])
    if as_json:
        emit(
            {
                "ok": result.ok,
                "covered": len(result.tests_by_requirement),
                "uncovered": result.uncovered,
                "out_of_scope": result.out_of_scope,
                "collection_errors": result.collection_errors,
            }
        )
    else:
        click.echo(f"covered by at least one test: {len(result.tests_by_requirement)}")
        click.echo(f"out of scope (with reason):   {len(result.out_of_scope)}")
        for rid, reason in result.out_of_scope.items():
            click.echo(f"  {rid}: {reason}")
        click.echo(f"UNCOVERED (no test, no reason): {len(result.uncovered)}")
        for rid in result.uncovered:
            r = catalogue[rid]
            click.echo(f"  {rid} [{','.join(r.roles)}] {r.text}")
        for err in result.collection_errors:
            click.echo(f"collection error: {err}", err=True)
    sys.exit(0 if result.ok else 1)


@certify.command("verify-report")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--lab-key", type=click.Path(exists=True, dir_okay=False), help="the lab's trusted public key (PEM)"
)
@click.option("--json", "as_json", is_flag=True)
def verify_report_cmd(directory: str, lab_key: str | None, as_json: bool) -> None:
    """Check a report directory's signature and every file digest, offline."""
    from .reportsign import load_public_key, verify_directory

    try:
        trusted = load_public_key(lab_key) if lab_key else None
        result = verify_directory(directory, trusted)
    except EhcError as exc:
        fail(exc, as_json, exit_code=2)
    if as_json:
        emit(result.to_dict())
    else:
        click.echo(f"signer: {result.signer}{' (TEST-ONLY)' if result.test_only else ''}")
        click.echo(f"signature: {'valid' if result.signature_ok else 'INVALID'}")
        if trusted is None:
            click.echo("key: embedded in the report, NOT checked against a trusted lab key (use --lab-key)")
        else:
            click.echo(f"key: {'matches' if result.key_trusted else 'DOES NOT MATCH'} the given lab key")
        for kind in ("altered", "missing", "added"):
            for name in getattr(result, kind):
                click.echo(f"{kind.upper()}: {name}")
        click.echo(f"{result.files} files listed: {'OK' if result.ok else 'REPORT DOES NOT VERIFY'}")
    sys.exit(0 if result.ok else 1)


@certify.command("lab-key")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
def lab_key_cmd(path: str, as_json: bool) -> None:
    """Generate an SM2 lab key pair: PATH (private, keep it safe) and PATH.pub.pem."""
    from ehc.gm import SM2PrivateKey

    target = Path(path)
    if target.exists():
        click.echo(f"{path} exists: not overwritten", err=True)
        sys.exit(2)
    key = SM2PrivateKey.generate()
    target.write_bytes(key.to_pem())
    target.chmod(0o600)
    Path(f"{path}.pub.pem").write_bytes(key.public_key.to_pem())
    if as_json:
        emit({"private_key": path, "public_key": f"{path}.pub.pem"})
        return
    click.echo(
        f"private key: {path}\npublic key:  {path}.pub.pem (give this to whoever verifies your reports)"
    )


@certify.command("selftest")
@click.option("--role", "roles", multiple=True, help="roles to self-test (default: all with a suite)")
@click.option("--max-examples", type=int, default=25, show_default=True)
@click.option(
    "--jobs", type=click.IntRange(1, 16), default=1, show_default=True, help="processes sharing the runs"
)
@click.option("--json", "as_json", is_flag=True)
def selftest_cmd(roles: tuple[str, ...], max_examples: int, jobs: int, as_json: bool) -> None:
    """Run each suite against the reference (must pass) and every mutant (must fail): mutation score."""
    from .selftest import selftest

    report = selftest(
        list(roles) or None, max_examples=max_examples, echo=None if as_json else click.echo, jobs=jobs
    )
    if as_json:
        emit(report)
    sys.exit(0 if report["ok"] else 1)
