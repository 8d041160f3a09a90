"""``ehc node``: serve a city node, call it as a terminal, import a population, manage keys."""

from __future__ import annotations

import io
import itertools
import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import click

from ehc.clitools import SharedOptionsGroup, always_json_option, emit, fail, json_option
from ehc.errors import EhcError

# main_index_pb2.Medium numbers (the generated code is imported only by the commands that call)
_MEDIA = {
    "linked-code": 11,
    "citizen-id": 1,
    "social-security-card": 2,
    "resident-health-card": 3,
    "qr": 4,
    "ehcid": 5,
    "birth-certificate": 6,
    "hospital-card": 7,
    "citizen-card": 8,
    "bank-card-token": 9,
    "document": 10,
}


@click.group("node")
def node() -> None:
    """City node (issuance, main index, verification, usage, registry) and its clients."""


# ------------------------------------------------------------------ serve
@node.command("serve")
@click.option(
    "--db", "db_url", default=None, help="postgresql://... or a SQLite path (default: DATA_DIR/node.db)"
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="default $EHC_NODE_HOME, else per-user (~/.local/share/ehc/node; docs/cli.md)",
)
@click.option(
    "--keys",
    type=click.Path(dir_okay=False),
    default=None,
    help="key file (default DATA_DIR/keys.json, created)",
)
@click.option(
    "--kek-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="key-encryption key (32/64 hex digits, mode 0600, outside DATA_DIR); or $EHC_NODE_KEK[_FILE]",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="listen address (0.0.0.0 for all)")
@click.option("--grpc-port", type=int, default=50051, show_default=True, help="0 = any free port")
@click.option("--http-port", type=int, default=None, help="REST gateway + /metrics port (off by default)")
@click.option("--node-id", default="370800", show_default=True)
@click.option("--dynamic-lifetime", type=int, default=300, show_default=True, help="seconds")
@click.option(
    "--dynamic-max-verifications", type=int, default=5, show_default=True, help="surplusNum of a new code"
)
@click.option(
    "--refuse-reissue/--allow-reissue",
    default=False,
    show_default=True,
    help="refuse a new dynamic code while one is valid",
)
@click.option(
    "--clock-skew", type=int, default=2, show_default=True, help="seconds tolerated when checking expiry"
)
@click.option("--replay-window", type=int, default=300, show_default=True, help="seconds")
@click.option(
    "--shared-nonces",
    is_flag=True,
    help="record nonces in the database (replays caught across node processes)",
)
@click.option("--require-certified/--allow-uncertified", default=False, show_default=True)
@click.option(
    "--sqlite-synchronous", type=click.Choice(["FULL", "NORMAL", "EXTRA"]), default="FULL", show_default=True
)
@click.option(
    "--sqlite-lock-wait",
    type=click.IntRange(1),
    default=2000,
    show_default=True,
    help="ms a call waits for a SQLite store locked by another process, then UNAVAILABLE",
)
@click.option("--workers", type=int, default=16, show_default=True, help="gRPC worker threads")
@click.option(
    "--processes",
    type=click.IntRange(0),
    default=0,
    help="node processes sharing the port and the store (0 = one per CPU core; >1 turns on --shared-nonces)",
)
@click.option(
    "--max-concurrent-rpcs",
    type=int,
    default=1024,
    show_default=True,
    help="more calls in progress: RESOURCE_EXHAUSTED",
)
@click.option(
    "--max-request-bytes",
    type=click.IntRange(1024),
    default=1 << 20,
    show_default=True,
    help="largest gRPC message received: RESOURCE_EXHAUSTED above",
)
@click.option(
    "--max-http-body-bytes",
    type=click.IntRange(1024),
    default=1 << 20,
    show_default=True,
    help="largest REST body: 413 above",
)
@click.option(
    "--rate-limit",
    type=click.FloatRange(0),
    default=100.0,
    show_default=True,
    help="calls/s per terminal (0 = off); admin credentials are exempt",
)
@click.option(
    "--rate-burst", type=click.IntRange(1), default=200, show_default=True, help="calls per terminal at once"
)
@click.option(
    "--max-streams-per-terminal",
    type=click.IntRange(1),
    default=4,
    show_default=True,
    help="open gRPC streams one terminal may hold: RESOURCE_EXHAUSTED above",
)
@click.option(
    "--max-streams",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="open gRPC streams in all (0 = half the workers; the rest serve unary calls)",
)
@click.option(
    "--stream-idle-timeout",
    type=click.FloatRange(1),
    default=60.0,
    show_default=True,
    help="seconds without a message before the node ends a stream",
)
@click.option(
    "--http-max-connections",
    type=click.IntRange(8),
    default=512,
    show_default=True,
    help="REST connections (also kept below RLIMIT_NOFILE minus a reserve for gRPC)",
)
@click.option(
    "--http-header-timeout",
    type=click.FloatRange(0.1),
    default=10.0,
    show_default=True,
    help="seconds a REST connection has to send its request headers",
)
@click.option(
    "--http-body-timeout",
    type=click.FloatRange(0.1),
    default=30.0,
    show_default=True,
    help="seconds a REST request has to send its body: 408 above",
)
@click.option(
    "--tls-cert", type=click.Path(dir_okay=False, exists=True), default=None, help="PEM certificate chain"
)
@click.option("--tls-key", type=click.Path(dir_okay=False, exists=True), default=None, help="PEM private key")
@click.option(
    "--api",
    "apis",
    multiple=True,
    type=click.Choice(["tencent", "qinghai", "sichuan"]),
    help="also serve this platform envelope on the HTTP port (repeatable; docs/platforms.md)",
)
@click.option(
    "--profile",
    default=None,
    help="configure the node from a profile (ehc/profiles/NAME.toml: city, media, dynamic codes, policy "
    "dates, KPI targets, terminal rule); options given explicitly still win",
)
@click.option("--today", default="", help="YYYY-MM-DD the profile's policy dates are judged on (testing)")
@click.option(
    "--test-settlement",
    is_flag=True,
    help="TEST-ONLY: serve the simulated settlement (诊间支付) a HIS's payment step is tested against "
    "(docs/payment.md); no money moves",
)
@click.option("--log-level", default="INFO", show_default=True)
@click.option(
    "--demo-data", is_flag=True, help="seed TEST-ONLY supervision demo history once (docs/supervision.md)"
)
def serve(**o: Any) -> None:
    """Run a node until interrupted. With no arguments: embedded SQLite and generated TEST-ONLY keys
    in the data directory, a demo organisation/terminal whose credentials go to DATA_DIR/client.json."""
    from reference_node.config import NodeConfig
    from reference_node.observability import setup_logging
    from reference_node.runtime import start

    setup_logging(o["log_level"])
    config = NodeConfig(
        node_id=o["node_id"],
        dynamic_lifetime_s=o["dynamic_lifetime"],
        dynamic_max_verifications=o["dynamic_max_verifications"],
        refuse_reissue_while_valid=o["refuse_reissue"],
        clock_skew_s=o["clock_skew"],
        replay_window_s=o["replay_window"],
        shared_nonces=o["shared_nonces"],
        require_certified_terminals=o["require_certified"],
        sqlite_synchronous=o["sqlite_synchronous"],
        sqlite_lock_wait_ms=o["sqlite_lock_wait"],
        max_request_bytes=o["max_request_bytes"],
        max_http_body_bytes=o["max_http_body_bytes"],
        rate_limit_per_s=o["rate_limit"],
        rate_limit_burst=o["rate_burst"],
        max_streams_per_terminal=o["max_streams_per_terminal"],
        max_streams=o["max_streams"],
        stream_idle_timeout_s=o["stream_idle_timeout"],
        http_max_connections=o["http_max_connections"],
        http_header_timeout_s=o["http_header_timeout"],
        http_body_timeout_s=o["http_body_timeout"],
        apis=tuple(o["apis"]),
        test_settlement=o["test_settlement"],
    )
    config = _with_profile(config, o)
    if o["apis"] and o["http_port"] is None:
        raise click.UsageError("--api needs the HTTP port: add --http-port PORT (0 = any free port)")
    tls = None
    if o["tls_cert"] or o["tls_key"]:
        if not (o["tls_cert"] and o["tls_key"]):
            raise click.UsageError("--tls-cert and --tls-key go together")
        tls = (Path(o["tls_key"]).read_bytes(), Path(o["tls_cert"]).read_bytes())
    from reference_node.workers import default_processes

    processes = o["processes"] or default_processes()
    if processes > 1:
        _serve_processes(processes, o, config, tls)
        return
    try:
        running = start(
            o["data_dir"], db_url=o["db_url"], keys=o["keys"], grpc_address=f"{o['host']}:{o['grpc_port']}",
            http_port=o["http_port"], http_host=o["host"], config=config, workers=o["workers"], tls=tls,
            max_concurrent_rpcs=o["max_concurrent_rpcs"] or None, kek_file=o["kek_file"],
        )  # fmt: skip
    except EhcError as err:
        fail(err)
    if o["demo_data"]:
        from reference_node.supervision.demo import seed_demo

        assert running.node is not None  # the node runs in this process
        click.echo(f"supervision demo data: {seed_demo(running.node)}", err=True)
    click.echo(
        f"ehc node listening: grpc {running.target}"
        + (f", http http://{o['host']}:{running.http_port}" if running.http_port is not None else "")
        + f"; client file {running.client_file}",
        err=True,
    )
    _echo_urls(o["host"], running.http_port, config.apis)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    running.stop()


# serve option -> NodeConfig field a profile also sets: an option given explicitly wins
_PROFILE_OPTIONS = {
    "node_id": "node_id",
    "dynamic_lifetime": "dynamic_lifetime_s",
    "dynamic_max_verifications": "dynamic_max_verifications",
    "refuse_reissue": "refuse_reissue_while_valid",
    "clock_skew": "clock_skew_s",
    "require_certified": "require_certified_terminals",
}


def _with_profile(config: Any, o: dict[str, Any]) -> Any:
    from dataclasses import replace

    from reference_node.policy import parse_day
    from reference_node.profiles import apply_profile

    try:
        if o["profile"]:
            ctx = click.get_current_context()
            keep = {
                field
                for option, field in _PROFILE_OPTIONS.items()
                if ctx.get_parameter_source(option) == click.core.ParameterSource.COMMANDLINE
            }
            config = apply_profile(config, o["profile"], keep)
        if o["today"]:
            parse_day(o["today"], "--today")
            config = replace(config, today=o["today"])
    except EhcError as err:
        fail(err)
    return config


def _echo_urls(host: str, http_port: int | None, apis: tuple[str, ...]) -> None:
    """The pages and envelope base URLs a person opens next (nothing without the HTTP port)."""
    if http_port is None:
        return
    from reference_node.platforms import base_urls

    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{http_port}"
    for label, path in (
        ("dashboard", "/dashboard"),
        ("scanner bench", "/scanner-bench"),
        ("API docs", "/docs"),
    ):
        click.echo(f"  {label}: {base}{path}", err=True)
    for name, url in base_urls(apis, host, http_port).items():
        click.echo(f"  {name} envelope: {url}", err=True)


def _serve_processes(n: int, o: dict[str, Any], config: Any, tls: tuple[bytes, bytes] | None) -> None:
    from reference_node.workers import Supervisor

    if o["demo_data"]:
        raise click.UsageError("--demo-data seeds once: run it with --processes 1, then serve with more")
    sup = Supervisor(
        n,
        dict(
            data_dir=o["data_dir"], db_url=o["db_url"], keys=o["keys"], grpc_address=f"{o['host']}:{o['grpc_port']}",
            http_port=o["http_port"], http_host=o["host"], config=config, workers=o["workers"], tls=tls,
            max_concurrent_rpcs=o["max_concurrent_rpcs"] or None, kek_file=o["kek_file"],
        ),
        o["log_level"],
    )  # fmt: skip
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    try:
        sup.start()
    except EhcError as err:
        sup.stop()
        fail(err)
    except (OSError, RuntimeError) as exc:  # port taken, or a worker died before listening
        from reference_node.errors import CONFIG_INVALID

        sup.stop()
        fail(EhcError(CONFIG_INVALID, f"cannot start {n} node processes: {exc}"))
    click.echo(
        f"ehc node listening: grpc {sup.target} ({n} processes)"
        + (f", http http://{o['host']}:{sup.http_port}" if sup.http_port is not None else "")
        + f"; client file {Path(sup.kwargs['data_dir']) / 'client.json'}",
        err=True,
    )
    _echo_urls(o["host"], sup.http_port, config.apis)
    done.wait()
    sup.stop()


# ------------------------------------------------------------------ keys
@node.group("keys")
def keys() -> None:
    """The software HSM's key file."""


@keys.command("init")
@click.option(
    "--keys", "path", type=click.Path(dir_okay=False), default=None, help="default DATA_DIR/keys.json"
)
@click.option("--data-dir", type=click.Path(file_okay=False), default=None)
@click.option(
    "--force", is_flag=True, help="overwrite an existing key file (makes existing EHCIDs unverifiable)"
)
@click.option("--kek-file", type=click.Path(dir_okay=False), default=None, help="wrap under this KEK")
@always_json_option()
def keys_init(path: str | None, data_dir: str | None, force: bool, kek_file: str | None) -> None:
    """Generate a fresh key file (root security key, protect key, data and index keys, issuer SM2 key):
    wrapped under the KEK (--kek-file, $EHC_NODE_KEK_FILE or $EHC_NODE_KEK), else TEST-ONLY in clear."""
    from reference_node.hsm import init_key_file, resolve_kek
    from reference_node.runtime import default_data_dir

    target = Path(path) if path else Path(data_dir or default_data_dir()) / "keys.json"
    try:
        kek = resolve_kek(kek_file)
        init_key_file(target, overwrite=force, kek=kek)
    except EhcError as err:
        fail(err)
    emit({"keys": str(target), "wrapped": kek is not None,
          "label": "node keys (wrapped)" if kek else "TEST-ONLY local node keys"})  # fmt: skip


@keys.command("wrap")
@click.option(
    "--keys", "path", type=click.Path(dir_okay=False), default=None, help="default DATA_DIR/keys.json"
)
@click.option("--data-dir", type=click.Path(file_okay=False), default=None)
@click.option("--kek-file", type=click.Path(dir_okay=False), default=None, help="or $EHC_NODE_KEK[_FILE]")
@always_json_option()
def keys_wrap(path: str | None, data_dir: str | None, kek_file: str | None) -> None:
    """Wrap a plain key file under a KEK in place (the same keys: issued EHCIDs stay valid)."""
    from reference_node.errors import KEK_INVALID
    from reference_node.hsm import resolve_kek, wrap_key_file
    from reference_node.runtime import default_data_dir

    target = Path(path) if path else Path(data_dir or default_data_dir()) / "keys.json"
    try:
        kek = resolve_kek(kek_file)
        if kek is None:
            raise EhcError(KEK_INVALID, "no KEK: give --kek-file, EHC_NODE_KEK_FILE or EHC_NODE_KEK")
        wrap_key_file(target, kek)
    except EhcError as err:
        fail(err)
    emit({"keys": str(target), "wrapped": True})


# ------------------------------------------------------------------ client
# SharedOptionsGroup: these options work before or after the subcommand (docs/cli.md)
@node.group("client", cls=SharedOptionsGroup)
@click.option("--target", default=None, help="host:port (default: from the client file)")
@click.option(
    "--client-file", type=click.Path(dir_okay=False), default=None, help="default DATA_DIR/client.json"
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="the node's (default $EHC_NODE_HOME or per-user)",
)
@click.option("--as", "role", type=click.Choice(["terminal", "admin"]), default="terminal", show_default=True)
@json_option("JSON (always; indented at a terminal); errors as JSON on stderr too")
@click.pass_context
def client(
    ctx: click.Context, target: str | None, client_file: str | None, data_dir: str | None, role: str,
    as_json: bool,
) -> None:  # fmt: skip
    """Call a node as a terminal (JSON out; on refusal the error code on stderr and exit 1)."""
    from reference_node.runtime import default_data_dir

    ctx.obj = {
        "target": target,
        "client_file": Path(client_file)
        if client_file
        else Path(data_dir or default_data_dir()) / "client.json",
        "role": role,
        "as_json": as_json,
    }


def _call(ctx: click.Context, fn: Callable[[Any], Any]) -> None:
    import grpc
    from google.protobuf import json_format

    from reference_node.client import NodeClient, error_of
    from reference_node.errors import CONFIG_INVALID

    o = ctx.obj
    try:
        nc = NodeClient.from_file(o["client_file"], o["role"], o["target"])
    except (OSError, ValueError, KeyError):
        fail(
            EhcError(
                CONFIG_INVALID, f"cannot read client file {o['client_file']} (start `ehc node serve` first)"
            ),
            o["as_json"],
        )
    with nc:
        try:
            result = fn(nc)
        except grpc.RpcError as exc:
            fail(error_of(exc), o["as_json"])
        except EhcError as err:
            fail(err, o["as_json"])
    if isinstance(result, list):
        emit([json_format.MessageToDict(m, preserving_proto_field_name=True) for m in result])
    else:
        emit(
            json_format.MessageToDict(
                result, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
            )
        )


@client.command("register")
@click.option("--name", required=True)
@click.option("--id-type", default="01", show_default=True, help="document type CV02.01.101")
@click.option("--id-number", required=True)
@click.option("--sex", default="", help="1 male, 2 female (derived from a citizen ID when empty)")
@click.option("--nation", default="01", show_default=True)
@click.option("--birth-date", default="", help="YYYY-MM-DD (derived from a citizen ID)")
@click.option("--area", default="", help="GB/T 2260 residence code (default: from the ID number)")
@click.option("--phone", default="")
@click.option("--address", default="")
@click.option(
    "--mode", default="3", show_default=True, help="application mode: 1 app, 2 kiosk, 3 window, 4 batch"
)
@click.option("--poverty-relief", is_flag=True, help="建档立卡")
@click.pass_context
def c_register(ctx: click.Context, **o: Any) -> None:
    """Register a resident and issue the e-card."""
    from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip

    sex, area = o["sex"], o["area"]
    if o["id_type"] == "01" and len(o["id_number"]) == 18 and o["id_number"][16].isdigit():
        sex = sex or ("1" if int(o["id_number"][16]) % 2 else "2")
        area = area or o["id_number"][:6]
    req = ip.RegisterRequest(
        application_mode=o["mode"], name=o["name"], document_type=o["id_type"], document_number=o["id_number"], sex=sex,
        nation=o["nation"], birth_date=o["birth_date"], area_code=area, phone=o["phone"], address=o["address"],
        poverty_relief=o["poverty_relief"],
    )  # fmt: skip
    _call(ctx, lambda nc: nc.issuance.Register(req, timeout=30))


@client.command("newborn")
@click.option("--birth-certificate", required=True)
@click.option("--name", required=True)
@click.option("--sex", required=True)
@click.option("--birth-date", required=True)
@click.option("--area", required=True)
@click.option("--guardian-id", "guardian", required=True, help="guardian's citizen ID number (registered)")
@click.pass_context
def c_newborn(ctx: click.Context, **o: Any) -> None:
    """Temporary card for a newborn (birth certificate), bound to a guardian."""
    from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip

    req = ip.RegisterNewbornRequest(
        birth_certificate=o["birth_certificate"], name=o["name"], sex=o["sex"], birth_date=o["birth_date"],
        area_code=o["area"], guardian_document_type="01", guardian_document_number=o["guardian"],
    )  # fmt: skip
    _call(ctx, lambda nc: nc.issuance.RegisterNewborn(req, timeout=30))


@client.command("upgrade")
@click.option("--ehcid", required=True)
@click.option("--id-number", required=True)
@click.pass_context
def c_upgrade(ctx: click.Context, ehcid: str, id_number: str) -> None:
    """Upgrade a temporary card to the citizen ID."""
    from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip

    _call(
        ctx,
        lambda nc: nc.issuance.UpgradeTemporary(
            ip.UpgradeTemporaryRequest(ehcid=ehcid, document_type="01", document_number=id_number)
        ),
    )


@client.command("qr")
@click.option("--ehcid", required=True)
@click.option("--dynamic/--static", default=True, show_default=True)
@click.option("--lifetime", type=int, default=0, help="seconds (0 = node default)")
@click.option("--max-verifications", type=int, default=0, help="0 = node default")
@click.pass_context
def c_qr(ctx: click.Context, ehcid: str, dynamic: bool, lifetime: int, max_verifications: int) -> None:
    """Get a dynamic (default) or static QR code text."""
    from reference_node.proto.ehc.node.v1 import common_pb2 as cp
    from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip

    req = ip.GetQrCodeRequest(
        ehcid=ehcid,
        code_type=cp.CODE_TYPE_DYNAMIC if dynamic else cp.CODE_TYPE_STATIC,
        lifetime_seconds=lifetime,
        max_verifications=max_verifications,
    )
    _call(ctx, lambda nc: nc.issuance.GetQrCode(req))


def _ctx_options(f: Callable) -> Callable:
    for opt in (
        click.option("--step", default=None, help="medical step (default from the client file)"),
        click.option("--scene", default="", help="7-digit scene"),
        click.option("--channel", default=None),
        click.option("--use-city", default=None),
    ):
        f = opt(f)
    return f


def _context(nc: Any, o: dict[str, Any]) -> Any:
    overrides = {
        k: v
        for k, v in (
            ("medical_step", o.get("step")),
            ("channel", o.get("channel")),
            ("use_city", o.get("use_city")),
            ("scene", o.get("scene")),
        )
        if v
    }
    return nc.context(**overrides)


@client.command("verify")
@click.option("--qr", "qr_text", required=True, help="QR code text")
@_ctx_options
@click.pass_context
def c_verify(ctx: click.Context, qr_text: str, **o: Any) -> None:
    """Verify a QR code at the point of care."""
    from reference_node.proto.ehc.node.v1 import verification_pb2 as vp

    _call(
        ctx, lambda nc: nc.verification.VerifyQr(vp.VerifyQrRequest(qr_text=qr_text, context=_context(nc, o)))
    )


@client.command("verify-chip")
@click.option("--card-number", required=True)
@click.option("--atr", required=True)
@_ctx_options
@click.pass_context
def c_verify_chip(ctx: click.Context, card_number: str, atr: str, **o: Any) -> None:
    """Verify a resident health card (card number + ATR)."""
    from reference_node.proto.ehc.node.v1 import verification_pb2 as vp

    _call(
        ctx,
        lambda nc: nc.verification.VerifyChipCard(
            vp.VerifyChipCardRequest(card_number=card_number, atr=atr, context=_context(nc, o))
        ),
    )


@client.command("report")
@click.option("--ehcid", default="")
@click.option("--card-number", default="")
@click.option("--card-type", default="11", show_default=True, help="CARD_MEDIA code (11 e-card)")
@click.option("--scene", default="0101011", show_default=True)
@click.option("--payment", default="0100", show_default=True)
@click.option("--visit-type", default="O", show_default=True)
@click.option("--department", default="")
@click.option("--request-id", default=None, help="idempotency key (default: random)")
@click.option("--time", "when", default=None, help="YYYYMMDDHHMMSS (default: now, UTC+8)")
@click.pass_context
def c_report(ctx: click.Context, **o: Any) -> None:
    """Report one card use (acknowledged after it is durable)."""
    import uuid

    from reference_node.config import fmt_time, now_cst
    from reference_node.proto.ehc.node.v1 import usage_pb2 as up

    def run(nc: Any) -> Any:
        cr = nc.credentials
        rec = up.UsageRecord(
            request_id=o["request_id"] or uuid.uuid4().hex, time=o["when"] or fmt_time(now_cst()), org_code=cr.org_code,
            org_name=cr.org_name, use_city=cr.use_city, scene=o["scene"], medical_step=o["scene"][:6] if len(o["scene"]) == 7 and o["scene"][:6] in _steps() else "",
            department=o["department"] or cr.department, card_type=o["card_type"], channel=cr.channel,
            payment_category=o["payment"], visit_type=o["visit_type"], ehcid=o["ehcid"], card_number=o["card_number"],
            terminal_id=cr.terminal_id,
        )  # fmt: skip
        return nc.usage.Report(rec)

    _call(ctx, run)


def _steps() -> Any:
    from ehc.spec import codes

    return codes.MEDICAL_STEPS


@client.command("usage")
@click.option("--ehcid", default="")
@click.option("--from", "from_time", default="")
@click.option("--to", "to_time", default="")
@click.option("--limit", type=int, default=100)
@click.pass_context
def c_usage(ctx: click.Context, ehcid: str, from_time: str, to_time: str, limit: int) -> None:
    """Query usage reports of this terminal's organisation."""
    from reference_node.proto.ehc.node.v1 import usage_pb2 as up

    _call(
        ctx,
        lambda nc: nc.usage.QueryUsage(
            up.QueryUsageRequest(ehcid=ehcid, from_time=from_time, to_time=to_time, limit=limit)
        ),
    )


@client.command("resolve")
@click.option("--id-type", default=None, help="document type (01 citizen ID, 08 birth certificate, ...)")
@click.option("--medium", type=click.Choice(sorted(_MEDIA)), default=None, help="instead of --id-type")
@click.option("--id-number", "identifier", required=True, help="the identifier read from the medium")
@click.option("--issuer", default="", help="hospital card: issuing organisation")
@click.option("--atr", default="")
@click.pass_context
def c_resolve(
    ctx: click.Context, id_type: str | None, medium: str | None, identifier: str, issuer: str, atr: str
) -> None:
    """Resolve any medium to its person through the cross-domain main index."""
    from reference_node.proto.ehc.node.v1 import main_index_pb2 as mp

    if medium is None:
        medium = "citizen-id" if id_type in (None, "01") else "document"
    req = mp.ResolveRequest(
        medium=cast(mp.Medium, _MEDIA[medium]),
        identifier=identifier,
        document_type=id_type or "",
        issuer=issuer,
        atr=atr,
    )
    _call(ctx, lambda nc: nc.main_index.Resolve(req))


@client.command("link")
@click.option("--main-index", default="", help="local person (or --remote-node/--remote-main-index)")
@click.option("--remote-node", default="")
@click.option("--remote-main-index", default="")
@click.option("--medium", type=click.Choice(sorted(_MEDIA)), required=True)
@click.option("--identifier", required=True)
@click.option("--id-type", default="", help="document type for --medium document")
@click.option("--issuer", default="", help="hospital card: issuing organisation")
@click.option("--atr", default="")
@click.option(
    "--card-medium",
    default="",
    help="linked code: CARD_MEDIA code recorded on verification (60 WeChat, 61 Alipay)",
)
@click.option("--unlink", is_flag=True)
@click.pass_context
def c_link(ctx: click.Context, **o: Any) -> None:
    """Link (or --unlink) a medium to a person of this node or of another node."""
    from reference_node.proto.ehc.node.v1 import common_pb2 as cp
    from reference_node.proto.ehc.node.v1 import main_index_pb2 as mp

    req = mp.LinkMediumRequest(
        main_index=o["main_index"], remote=cp.RemoteRef(node_id=o["remote_node"], main_index=o["remote_main_index"]),
        medium=cast(mp.Medium, _MEDIA[o["medium"]]), identifier=o["identifier"], document_type=o["id_type"], issuer=o["issuer"],
        atr=o["atr"], card_medium=o["card_medium"],
    )  # fmt: skip
    _call(ctx, lambda nc: (nc.main_index.UnlinkMedium if o["unlink"] else nc.main_index.LinkMedium)(req))


def _card_action(name: str, rpc: str) -> None:
    @client.command(name, help=f"{rpc} a card (audited).")
    @click.option("--ehcid", required=True)
    @click.option("--reason", default="")
    @click.pass_context
    def action(ctx: click.Context, ehcid: str, reason: str) -> None:
        from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip

        _call(ctx, lambda nc: getattr(nc.issuance, rpc)(ip.CardActionRequest(ehcid=ehcid, reason=reason)))


for _name, _rpc in (("suspend", "Suspend"), ("resume", "Resume"), ("cancel", "Cancel")):
    _card_action(_name, _rpc)


@client.command("identities")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="client file to write (0600)")
@click.option("--foreign-org", default=None, help="code of the second organisation (default: derived)")
@click.pass_context
def c_identities(ctx: click.Context, out: str, foreign_org: str | None) -> None:
    """Write a client file with the identities `ehc certify node` needs (terminal, peer, foreign,
    admin): creates org B and two terminals through the registry with the admin credential."""
    import grpc

    from reference_node.client import TlsConfig, client_file_tls, error_of, load_client_file
    from reference_node.errors import CONFIG_INVALID
    from reference_node.identities import provision_identities, write_client_file

    o = ctx.obj
    try:
        file_target, terminal = load_client_file(o["client_file"], "terminal")
        _, admin = load_client_file(o["client_file"], "admin")
        tls_paths = client_file_tls(o["client_file"])  # a TLS node: the "tls" object of the file
        tls = TlsConfig.from_files(**tls_paths) if tls_paths else None
    except (OSError, ValueError, KeyError):
        fail(
            EhcError(
                CONFIG_INVALID, f"cannot read terminal, admin and tls of client file {o['client_file']}"
            ),
            o["as_json"],
        )
    target = o["target"] or file_target
    try:
        identities = provision_identities(target, terminal, admin, foreign_org=foreign_org, tls=tls)
    except grpc.RpcError as exc:
        fail(error_of(exc), o["as_json"])
    path = write_client_file(out, target, identities, tls_paths)
    emit({"client_file": str(path), "identities": {r: c.terminal_id for r, c in identities.items()}})


@client.command("get")
@click.option("--ehcid", required=True)
@click.pass_context
def c_get(ctx: click.Context, ehcid: str) -> None:
    """A card and its holder."""
    from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip

    _call(ctx, lambda nc: nc.issuance.GetCard(ip.GetCardRequest(ehcid=ehcid)))


@client.command("merge")
@click.option("--surviving", required=True)
@click.option("--merged", required=True)
@click.option("--reason", default="")
@click.pass_context
def c_merge(ctx: click.Context, surviving: str, merged: str, reason: str) -> None:
    """Merge two main indexes (audited; undo with unmerge)."""
    from reference_node.proto.ehc.node.v1 import main_index_pb2 as mp

    _call(
        ctx,
        lambda nc: nc.main_index.Merge(
            mp.MergeRequest(surviving_main_index=surviving, merged_main_index=merged, reason=reason)
        ),
    )


@client.command("unmerge")
@click.option("--merge-id", required=True)
@click.pass_context
def c_unmerge(ctx: click.Context, merge_id: str) -> None:
    """Undo a merge."""
    from reference_node.proto.ehc.node.v1 import main_index_pb2 as mp

    _call(ctx, lambda nc: nc.main_index.Unmerge(mp.UnmergeRequest(merge_id=merge_id)))


# ------------------------------------------------------------------ import
# streams an import sends at once (--connections): 2 lets a --processes 2 node use both cores and
# overlaps one stream's commit with the other's validation
IMPORT_CONNECTIONS = 2


def person_request(d: dict[str, Any], mode: str = "4") -> Any:
    """A population JSON-lines record (ehc.spec.model.Person) as a RegisterRequest."""
    from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip

    return ip.RegisterRequest(
        application_mode=mode, name=str(d.get("name", "")), document_type=str(d.get("id_type", "01")),
        document_number=str(d.get("id_number", "")), sex=str(d.get("sex", "")), nation=str(d.get("nation", "")),
        birth_date=str(d.get("birth_date", "")), phone=str(d.get("phone", "")), address=str(d.get("address", "")),
        area_code=str(d.get("area_code", "")), poverty_relief=bool(d.get("poverty_relief", False)),
        social_security_card_number=str(d.get("social_security_card_number", "")), family_id=str(d.get("family_id", "")),
        request_id=str(d.get("person_id", ""))[:64],
    )  # fmt: skip


def _records(path: Path, bad: list[dict[str, Any]], people: list[tuple[str, str]]) -> Iterator[Any]:
    """RegisterRequests from a JSON-lines file; ``people`` gets (id number, guardian id number) per
    record sent, in stream order, so guardians can be bound to newborns afterwards."""
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                request = person_request(data)
            except (ValueError, TypeError, AttributeError) as exc:
                bad.append({"line": lineno, "error": f"not a JSON person record ({type(exc).__name__})"})
                continue
            people.append((request.document_number, str(data.get("guardian_id_number", "") or "")))
            yield request


def _chunks(records: Iterator[Any], size: int = 500) -> Iterator[Any]:
    from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip

    chunk = ip.RegisterChunk()
    for record in records:
        chunk.records.append(record)
        if len(chunk.records) >= size:
            yield chunk
            chunk = ip.RegisterChunk()
    if chunk.records:
        yield chunk


@node.command("import")
@click.option(
    "--population",
    type=click.Path(dir_okay=False, exists=True),
    required=True,
    help="JSON lines (ehc fixtures population)",
)
@click.option("--target", default=None)
@click.option("--client-file", type=click.Path(dir_okay=False), default=None)
@click.option("--data-dir", type=click.Path(file_okay=False), default=None)
@click.option(
    "--errors",
    "errors_out",
    type=click.Path(dir_okay=False),
    default=None,
    help="write rejected records here (JSON lines)",
)
@click.option(
    "--state",
    type=click.Path(dir_okay=False),
    default=None,
    help="progress file for resuming (default POPULATION.import-state; removed when the import ends)",
)
@click.option("--restart", is_flag=True, help="ignore a progress file left by an interrupted import")
@click.option(
    "--connections",
    type=click.IntRange(1, 16),
    default=IMPORT_CONNECTIONS,
    show_default=True,
    help="streams sent at once, each on its own connection (a --processes N node spreads them "
    "over its processes; registration is idempotent by document)",
)
@click.option("--quiet", is_flag=True, help="no progress bars, only the result")
@always_json_option()
def import_population(
    population: str,
    target: str | None,
    client_file: str | None,
    data_dir: str | None,
    errors_out: str | None,
    state: str | None,
    restart: bool,
    connections: int,
    quiet: bool,
) -> None:
    """Batch pre-generation (application mode 4) of a population file over RegisterBatchChunks;
    guardians are bound to their children in the same kind of stream (bindings per chunk). Slices
    of the file go out on ``--connections`` streams at once. An interrupted import resumes with the
    records not yet acknowledged (registration is idempotent by document, so a record sent twice is
    never a second person or card)."""
    import grpc

    from reference_node.client import NodeClient, error_of
    from reference_node.errors import CONFIG_INVALID
    from reference_node.runtime import default_data_dir

    path = Path(population)
    total = sum(1 for line in path.open(encoding="utf-8") if line.strip())
    cf = Path(client_file) if client_file else Path(data_dir or default_data_dir()) / "client.json"
    try:
        # one connection each (a local subchannel pool): otherwise gRPC shares one between channels
        ncs = [
            NodeClient.from_file(cf, "terminal", target, (("grpc.use_local_subchannel_pool", 1),))
            for _ in range(connections)
        ]
    except (OSError, ValueError, KeyError):
        fail(EhcError(CONFIG_INVALID, f"cannot read client file {cf}"))
    progress = _ImportState(Path(state) if state else path.with_name(path.name + ".import-state"), path)
    if restart:
        progress.reset()
    done_before = progress.load()
    if done_before:
        click.echo(f"resuming after {done_before} acknowledged records ({progress.file})", err=True)
    bad: list[dict[str, Any]] = []
    people: list[tuple[str, str]] = []
    ehcid_of: dict[str, str] = {}
    bound = 0
    sent = [0]  # records answered in this run (a resumed run sends only the others)
    try:
        bars = io.StringIO() if quiet else sys.stderr
        with click.progressbar(length=total, label="registering", file=bars, show_pos=True) as bar:
            bar.update(done_before)
            started, sent_from = time.monotonic(), done_before
            acknowledged = progress.acknowledged()
            records = _records(path, bad, people)
            pending = ((i, r) for i, r in enumerate(records) if i not in acknowledged)

            def on_result(result: Any, offsets: list[int]) -> None:
                sent[0] += len(result.items)
                progress.record(result, offsets)
                bar.update(len(result.items))
                rate = (bar.pos - sent_from) / max(time.monotonic() - started, 1e-6)
                bar.label = f"registering {rate:,.0f}/s"

            _streams(ncs, _record_chunks(pending), on_result)
        for index, ehcid in progress.ehcids.items():
            if index < len(people):
                ehcid_of[people[index][0]] = ehcid
        bound = _bind_guardians(ncs, people, ehcid_of, bars=bars)
    except grpc.RpcError as exc:
        fail(error_of(exc))
    finally:
        for nc in ncs:
            nc.close()
    rejected_items = progress.rejected
    if errors_out:
        with open(errors_out, "w", encoding="utf-8") as fh:
            for item in rejected_items + bad:
                fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    progress.finish()
    emit({
        "records": total, "accepted": progress.accepted, "rejected": len(rejected_items) + len(bad),
        "guardians_bound": bound, "resumed_after": done_before, "sent": sent[0],
        "first_rejections": (rejected_items + bad)[:10],
    })  # fmt: skip


def _record_chunks(pending: Iterator[tuple[int, Any]], size: int = 500) -> Iterator[tuple[Any, list[int]]]:
    """(RegisterChunk, stream positions of its records) from (position, RegisterRequest) pairs."""
    from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip

    batch: list[tuple[int, Any]] = []
    for item in pending:
        batch.append(item)
        if len(batch) >= size:
            yield ip.RegisterChunk(records=[r for _, r in batch]), [i for i, _ in batch]
            batch = []
    if batch:
        yield ip.RegisterChunk(records=[r for _, r in batch]), [i for i, _ in batch]


# chunks a stream takes from the shared source at a time: 8 x 500 = the node's 4,000-record
# transaction, so a stream's commits are whole slices of the file
_SLICE_CHUNKS = 8


def _streams(
    ncs: list[Any], chunks: Iterator[tuple[Any, list[int]]], on_result: Callable[[Any, list[int]], None]
) -> None:
    """Send ``chunks`` over RegisterBatchChunks, one stream per client, at once: each stream takes
    the next slice of chunks when it wants more (a stream on a busier node process takes fewer);
    ``on_result(result, positions)`` gets every answer, ``positions[k]`` being the source position
    of the stream's k-th record. The first error of any stream is raised once all have ended."""
    lock = threading.Lock()
    errors: list[BaseException] = []

    def run(nc: Any) -> None:
        positions: list[int] = []

        def requests() -> Iterator[Any]:
            while not errors:
                with lock:  # one reader of the shared source (and of the file behind it) at a time
                    taken = list(itertools.islice(chunks, _SLICE_CHUNKS))
                if not taken:
                    return
                for chunk, where in taken:
                    positions.extend(where)
                    yield chunk

        try:
            for result in nc.issuance.RegisterBatchChunks(requests()):
                with lock:
                    on_result(result, positions)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread below
            errors.append(exc)

    if len(ncs) == 1:
        run(ncs[0])
    else:
        threads = [threading.Thread(target=run, args=(nc,), daemon=True) for nc in ncs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    if errors:
        raise errors[0]


class _ImportState:
    """Append-only progress of an import: per acknowledged commit, the records' stream positions
    and EHCIDs (no ID numbers: the positions map back to the population file) and the rejections.
    With several connections the acknowledged positions need not be a prefix: a resumed import
    sends every record not acknowledged, whatever its place."""

    def __init__(self, file: Path, population: Path) -> None:
        self.file = file
        st = population.stat()
        self.header = {"population": str(population.resolve()), "size": st.st_size, "mtime": st.st_mtime}
        self.ehcids: dict[int, str] = {}
        self.rejected: list[dict[str, Any]] = []
        self.done = 0
        self._fh: Any = None

    @property
    def accepted(self) -> int:
        return len(self.ehcids)

    def acknowledged(self) -> set[int]:
        """Stream positions the node answered for (accepted or rejected)."""
        return set(self.ehcids) | {int(r["index"]) for r in self.rejected}

    def reset(self) -> None:
        self.file.unlink(missing_ok=True)

    def load(self) -> int:
        """Records an earlier run of the same file had acknowledged (0: none, or another file)."""
        if self.file.exists():
            lines = self.file.read_text(encoding="utf-8").splitlines()
            try:
                if lines and json.loads(lines[0]) == self.header:
                    for line in lines[1:]:
                        entry = json.loads(line)  # a torn last line (crash mid-write) ends the replay
                        self.ehcids.update((int(k), e) for k, e in entry["ok"])
                        self.rejected += entry["rejected"]
                        self.done = entry["done"]
                else:
                    self.ehcids.clear()
                    self.rejected.clear()
            except (ValueError, KeyError, TypeError):
                pass
        if not self.done:
            self.ehcids.clear()
            self.rejected.clear()
        # a position acknowledged twice (a resumed slice) counts once
        self.rejected = list(
            {int(r["index"]): r for r in self.rejected if int(r["index"]) not in self.ehcids}.values()
        )
        # rewritten whole: drops a torn last line and keeps the file one entry long per run
        entry = {"done": self.done, "ok": sorted(self.ehcids.items()), "rejected": self.rejected}
        self.file.write_text(json.dumps(self.header) + "\n" + json.dumps(entry) + "\n", encoding="utf-8")
        self._fh = self.file.open("a", encoding="utf-8")
        return len(self.acknowledged())

    def record(self, result: Any, positions: list[int]) -> None:
        ok, rejected = [], []
        for it in result.items:
            index = positions[it.index]
            if it.ok:
                ok.append((index, it.ehcid))
            else:
                rejected.append({
                    "index": index, "request_id": it.request_id, "code": it.error.code,
                    "number": it.error.number, "message": it.error.message, "field": it.error.field,
                })  # fmt: skip
            self.done = max(self.done, index + 1)
        self.ehcids.update(ok)
        self.rejected += rejected
        self._fh.write(json.dumps({"done": self.done, "ok": ok, "rejected": rejected}) + "\n")
        self._fh.flush()

    def finish(self) -> None:
        if self._fh is not None:
            self._fh.close()
        self.reset()


def _bind_guardians(
    ncs: list[Any],
    people: list[tuple[str, str]],
    ehcid_of: dict[str, str],
    size: int = 2000,
    bars: Any = None,
) -> int:
    """Bind each registered child to a registered guardian (relation guardian): bindings travel in
    RegisterChunk messages, one transaction per chunk (not one unary call each), on every connection."""
    from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip

    bindings = [
        ip.BindFamilyRequest(
            guardian_ehcid=ehcid_of[guardian], member_ehcid=ehcid_of[number], relation="guardian"
        )
        for number, guardian in people
        if guardian and number in ehcid_of and guardian in ehcid_of
    ]
    if not bindings:
        return 0
    # small slices: each stream takes one 2,000-binding chunk at a time
    per_stream = max(size, -(-len(bindings) // len(ncs)))
    parts = [bindings[i : i + per_stream] for i in range(0, len(bindings), per_stream)]
    bound = [0]
    with click.progressbar(length=len(bindings), label="binding guardians", file=bars or sys.stderr) as bar:
        lock = threading.Lock()
        errors: list[BaseException] = []

        def run(nc: Any, part: list[Any]) -> None:
            chunks = (ip.RegisterChunk(bindings=part[i : i + size]) for i in range(0, len(part), size))
            try:
                last = 0
                for result in nc.issuance.RegisterBatchChunks(chunks):
                    with lock:
                        bar.update(len(result.bindings))
                        bound[0] += result.bound_so_far - last
                    last = result.bound_so_far
            except BaseException as exc:  # noqa: BLE001 - re-raised below
                errors.append(exc)

        threads = [
            threading.Thread(target=run, args=(nc, part), daemon=True)
            for nc, part in zip(ncs, parts, strict=False)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
    return bound[0]


# ------------------------------------------------------------------ supervision (own module)
from reference_node.supervision.cli import supervision as _supervision  # noqa: E402 - after the group exists

node.add_command(_supervision)

# ------------------------------------------------------------------ front-end server (own package)
from reference_node.frontend.cli import frontend as _frontend  # noqa: E402 - after the group exists

node.add_command(_frontend)

# ------------------------------------------------------------------ registry: terminal certificates (own module)
from reference_node.registry_cli import registry as _registry  # noqa: E402 - after the group exists

node.add_command(_registry)
