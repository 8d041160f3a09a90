"""`ehc id …` and `ehc errors`: identifier checks and the error-code table."""

from __future__ import annotations

import importlib

import click

from ehc.clitools import emit, fail
from ehc.errors import EhcError, all_codes
from ehc.spec.identifiers import citizen_id_facts, normalise_citizen_id, validate_birth_certificate


@click.group("id")
def id_group() -> None:
    """Check identifiers (GB 11643 citizen ID, birth certificate)."""


@id_group.command("check")
@click.argument("number")
@click.option("--birth-certificate", is_flag=True, help="Check a 出生医学证明 number instead.")
@click.option("--json", "as_json", is_flag=True, help="Print facts as JSON.")
def check(number: str, birth_certificate: bool, as_json: bool) -> None:
    """Exit 0 and print the normalised number when valid; exit 1 and the error code when not."""
    try:
        if birth_certificate:
            click.echo(validate_birth_certificate(number))
            return
        normal = normalise_citizen_id(number)
    except EhcError as err:
        fail(err, as_json)
    if as_json:
        emit({"number": normal, **citizen_id_facts(normal)})
    else:
        click.echo(normal)


@click.command("errors")
@click.option("--json", "as_json", is_flag=True)
def errors_command(as_json: bool) -> None:
    """List every stable error code of the kit."""
    for mod in (
        "qr_codec",
        "card_emulators",
        "reference_node",
        "conformance_tests",
        "load_tests",
        "fixtures",
    ):
        try:
            importlib.import_module(f"{mod}.errors")
        except ImportError:
            pass
    codes = all_codes()
    if as_json:
        emit([{"name": c.name, "number": c.number, "layer": c.layer, "meaning": c.meaning} for c in codes])
    else:
        for c in codes:
            click.echo(f"{c.number}  {c.name:<32} {c.layer:<12} {c.meaning}")
