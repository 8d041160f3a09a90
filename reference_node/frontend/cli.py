"""``ehc node frontend``: run the hospital-side front-end server (前置服务器)."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Any

import click

from ehc.clitools import fail
from ehc.errors import EhcError
from ehc.userdirs import frontend_home


@click.command("frontend")
@click.option(
    "--client-file",
    type=click.Path(dir_okay=False),
    required=True,
    help="the hospital's credential at the city node (a node client file); upstream calls are signed with it",
)
@click.option(
    "--enrol",
    "enrol_admin",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    metavar="ADMIN_CLIENT_FILE",
    help="register the front-end at the node (operator's client file, role admin) as terminal --enrol-terminal "
    "of organisation --enrol-org, write its credential to --client-file (new file) and exit",
)
@click.option("--enrol-terminal", default=None, help="with --enrol: the front-end's terminal id at the node")
@click.option("--enrol-org", default=None, help="with --enrol: the hospital's organisation code")
@click.option(
    "--enrol-certified", is_flag=True, help="with --enrol: register it as certified (检测备案 done)"
)
@click.option("--upstream", default=None, help="city node HOST:PORT (default: the client file's target)")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="frontend.db (terminal credentials, usage outbox, relay log) and terminal client files "
    "(default $EHC_FRONTEND_HOME, else per-user: docs/cli.md)",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="listen address (0.0.0.0 for all)")
@click.option("--port", type=int, default=50061, show_default=True, help="gRPC port for terminals (0 = any)")
@click.option(
    "--cache-max-age",
    type=float,
    default=300.0,
    show_default=True,
    help="seconds: a static code's cached answer is served (node unreachable only) while the node's "
    "last word on the card is at most this old",
)
@click.option(
    "--poll-interval",
    type=float,
    default=15.0,
    show_default=True,
    help="seconds between status polls of cached cards: a suspension reaches the front-end within "
    "this plus one poll round",
)
@click.option(
    "--breaker",
    type=click.FloatRange(0),
    default=5.0,
    show_default=True,
    help="seconds after the node failed to answer during which a cached static answer is given at once",
)
@click.option("--max-cards", type=int, default=1000, show_default=True, help="cards held in the cache")
@click.option("--max-codes", type=int, default=4000, show_default=True, help="code texts held in the cache")
@click.option(
    "--probe-by-verify/--no-probe-by-verify",
    default=True,
    show_default=True,
    help="poll another organisation's card (GetCard refused) by re-verifying its cached static code",
)
@click.option(
    "--upstream-timeout", type=float, default=3.0, show_default=True, help="seconds per relayed call"
)
@click.option(
    "--terminal-rate-limit",
    type=click.FloatRange(0),
    default=50.0,
    show_default=True,
    help="calls/s per local terminal (0 = off): upstream all terminals share the hospital credential's budget",
)
@click.option("--terminal-rate-burst", type=click.IntRange(1), default=100, show_default=True)
@click.option("--workers", type=int, default=16, show_default=True)
@click.option(
    "--add-terminal",
    "add_terminals",
    multiple=True,
    metavar="ID",
    help="issue a credential for a local terminal; its client file goes to DATA_DIR/terminals/ID.json",
)
@click.option("--setup-only", is_flag=True, help="with --add-terminal: write the client files and exit")
@click.option(
    "--status",
    "show_status",
    is_flag=True,
    help="print the outbox (pending, delivered, rejected + the rejected reports) as JSON and exit",
)
@click.option(
    "--retention-days", type=float, default=30.0, show_default=True, help="settled reports and relay log kept"
)
@click.option(
    "--tls-cert", type=click.Path(dir_okay=False, exists=True), default=None, help="PEM chain (serve TLS)"
)
@click.option("--tls-key", type=click.Path(dir_okay=False, exists=True), default=None, help="PEM private key")
@click.option("--log-level", default="INFO", show_default=True)
def frontend(**o: Any) -> None:
    """Hospital-side front-end server: terminals and the HIS call it instead of the city node.

    It serves the node's gRPC API (ehc.node.v1: issuance, main index, verification, usage; not the
    operator APIs), authenticates terminals with its own HMAC-SM3 credentials (--add-terminal) and
    relays every call to the node signed with the hospital's credential (--client-file).

    \b
    * Usage reports: acknowledged once committed locally (SQLite WAL, synchronous FULL), then
      forwarded in order by a background forwarder with retry and backoff, exactly once (the node
      deduplicates by the HIS's request id).
    * Static codes: while the node is unreachable, answered from a bounded cache (--cache-max-age);
      a card the node refused, or a status poll found suspended/cancelled, is refused from cache.
      Dynamic codes always go to the node.
    * Identity: upstream every call is the hospital's terminal (the node refuses any other context
      terminal); the real terminal id is kept in the front-end's relay log and outbox.

    See docs/frontend.md.
    """
    from reference_node.client import TlsConfig, client_file_tls, load_client_file
    from reference_node.errors import CONFIG_INVALID
    from reference_node.frontend.auth import issue_terminal, write_client_file
    from reference_node.frontend.relay import FrontendConfig, start_frontend
    from reference_node.frontend.store import FrontendStore
    from reference_node.observability import setup_logging

    setup_logging(o["log_level"])
    if o["enrol_admin"]:
        _enrol(o)
        return
    try:
        file_target, hospital = load_client_file(o["client_file"])
        tls_files = client_file_tls(o["client_file"])
    except (OSError, ValueError, KeyError) as exc:
        fail(EhcError(CONFIG_INVALID, f"cannot read client file ({type(exc).__name__})"))
    data = Path(o["data_dir"]) if o["data_dir"] else frontend_home()
    if o["show_status"]:
        store = FrontendStore(data / "frontend.db")
        try:
            rejected = [{"request_id": r, "terminal": t, "code": c} for r, t, c in store.rejected()]
            click.echo(json.dumps({"outbox": store.counts(), "rejected": rejected}, ensure_ascii=False))
        finally:
            store.close()
        return
    if o["setup_only"]:
        if not o["add_terminals"]:
            raise click.UsageError("--setup-only needs at least one --add-terminal")
        store = FrontendStore(data / "frontend.db")
        try:
            for tid in o["add_terminals"]:
                creds = issue_terminal(store, tid, hospital)
                path = write_client_file(
                    data / "terminals" / f"{tid}.json", f"{o['host']}:{o['port']}", creds
                )
                click.echo(f"terminal {tid}: client file {path}", err=True)
        except EhcError as err:
            fail(err)
        finally:
            store.close()
        return
    if bool(o["tls_cert"]) != bool(o["tls_key"]):
        raise click.UsageError("--tls-cert and --tls-key go together")
    server_tls = (
        (Path(o["tls_key"]).read_bytes(), Path(o["tls_cert"]).read_bytes()) if o["tls_cert"] else None
    )
    config = FrontendConfig(
        cache_max_age_s=o["cache_max_age"], poll_interval_s=o["poll_interval"], max_cards=o["max_cards"],
        max_codes=o["max_codes"], probe_by_verify=o["probe_by_verify"], upstream_timeout_s=o["upstream_timeout"],
        workers=o["workers"], retention_days=o["retention_days"], terminal_rate_per_s=o["terminal_rate_limit"],
        terminal_burst=o["terminal_rate_burst"], breaker_s=o["breaker"],
    )  # fmt: skip
    if (
        config.cache_max_age_s < 0
        or config.poll_interval_s <= 0
        or config.max_cards < 1
        or config.max_codes < 1
    ):
        raise click.UsageError("cache bounds must be positive (--cache-max-age may be 0: no cached answers)")
    tls = TlsConfig.from_files(**tls_files) if tls_files else None
    fe = start_frontend(
        data, o["upstream"] or file_target, hospital, config=config, address=f"{o['host']}:{o['port']}",
        tls=tls, server_tls=server_tls,
    )  # fmt: skip
    for tid in o["add_terminals"]:
        try:
            creds = issue_terminal(fe.store, tid, hospital)
        except EhcError as err:
            fe.stop()
            fail(err)
        path = write_client_file(data / "terminals" / f"{tid}.json", fe.target, creds)
        click.echo(f"terminal {tid}: client file {path}", err=True)
    click.echo(f"ehc node frontend listening: grpc {fe.target}, upstream {fe.upstream.target}", err=True)
    click.echo(json.dumps(fe.status(), ensure_ascii=False), err=True)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    fe.stop()


def _enrol(o: dict[str, Any]) -> None:
    """``--enrol``: register the front-end at the node and write the hospital's client file."""
    import grpc

    from reference_node.client import NodeClient, error_of
    from reference_node.errors import CONFIG_INVALID
    from reference_node.frontend.auth import enrol_at_node, write_client_file

    if not (o["enrol_terminal"] and o["enrol_org"]):
        raise click.UsageError("--enrol needs --enrol-terminal and --enrol-org")
    out = Path(o["client_file"])
    if out.exists():
        raise click.UsageError(f"{out} exists: --enrol writes a new client file")
    try:
        admin = NodeClient.from_file(o["enrol_admin"], "admin", o["upstream"])
    except (OSError, ValueError, KeyError) as exc:
        fail(EhcError(CONFIG_INVALID, f"cannot read the admin client file ({type(exc).__name__})"))
    with admin:
        try:
            creds = enrol_at_node(admin, o["enrol_terminal"], o["enrol_org"], certified=o["enrol_certified"])
        except grpc.RpcError as exc:
            fail(error_of(exc))
    write_client_file(out, admin.target, creds, "the hospital front-end's credential at the city node")
    click.echo(
        f"front-end terminal {creds.terminal_id} registered at {admin.target}; credential in {out}", err=True
    )
