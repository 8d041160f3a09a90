"""``ehc node registry``: terminal certificates (检测备案) on the node's own database.

Run next to the node (same data directory / database URL); changes reach a running node through
its change feed within ``change_poll_ms``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ehc.clitools import always_json_option, emit, fail
from ehc.errors import EhcError


def _store_options(f: Callable) -> Callable:
    f = always_json_option()(f)
    f = click.option(
        "--db", "db_url", default=None, help="postgresql://... or a SQLite path (default: DATA_DIR/node.db)"
    )(f)
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False),
        default=None,
        help="default $EHC_NODE_HOME, else per-user (docs/cli.md)",
    )(f)


def _open(o: dict[str, Any]) -> tuple[Any, Path]:
    from reference_node.runtime import default_data_dir
    from reference_node.store.db import open_database
    from reference_node.store.migrations import migrate

    data = Path(o["data_dir"]) if o["data_dir"] else default_data_dir()
    db = open_database(o["db_url"], data)
    migrate(db)
    return db, data


@click.group("registry")
def registry() -> None:
    """Terminal registration tied to signed certification reports (检测备案)."""


@registry.command("add-certificate")
@click.argument("report_dir", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--terminal", "terminals", multiple=True, required=True, help="terminal id it certifies (repeatable)"
)
@click.option(
    "--lab-key",
    "lab_keys",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="trusted lab public key PEM (repeatable; also DATA_DIR/trusted-labs/*.pem)",
)
@click.option(
    "--profile",
    default="",
    help="the node's profile: a report for another profile is refused (default: any profile)",
)
@_store_options
def add_certificate(
    report_dir: str, terminals: tuple[str, ...], lab_keys: tuple[str, ...], profile: str, **o: Any
) -> None:
    """Verify REPORT_DIR (from `ehc certify terminal`) against the trusted lab keys and register it.
    A FAIL verdict, another role's report, a revoked certificate (and another profile's with
    --profile) are refused, each with its own code. Same core as RegistryService.AddCertificate."""
    from reference_node import certificates

    try:
        db, data = _open(o)
        try:
            trusted_files = [Path(p) for p in lab_keys] + sorted(
                (data / certificates.TRUSTED_DIR).glob("*.pem")
            )
            trusted = certificates.load_trusted_keys(trusted_files) + certificates.trusted_keys(db)
            cert = certificates.register(db, report_dir, list(terminals), trusted, profile=profile)
        finally:
            db.close()
    except EhcError as err:
        fail(err)
    emit({**cert.to_dict(), "terminals": list(terminals)})


@registry.command("revoke-certificate")
@click.argument("cert_id")
@click.option("--reason", required=True, help="why (kept in the audit trail)")
@_store_options
def revoke_certificate(cert_id: str, reason: str, **o: Any) -> None:
    """Revoke a registered certificate: its terminals are refused at their next call."""
    from reference_node import certificates

    try:
        db, _ = _open(o)
        try:
            terminals = certificates.revoke(db, cert_id, reason)
        finally:
            db.close()
    except EhcError as err:
        fail(err)
    emit({"cert_id": cert_id, "revoked": True, "terminals": terminals})


@registry.command("certificates")
@click.option("--terminal", default="", help="only this terminal's")
@_store_options
def list_certificates(terminal: str, **o: Any) -> None:
    """List registered certificates (revoked ones too, with the date and reason)."""
    from reference_node import certificates

    try:
        db, _ = _open(o)
        try:
            emit(certificates.list_certificates(db, terminal))
        finally:
            db.close()
    except EhcError as err:
        fail(err)
