"""`ehc id …` and `ehc errors`: identifier checks and the error-code table."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any, TextIO

import click

from ehc.clitools import fail
from ehc.errors import CODE_UNKNOWN, ID_BAD_AREA, EhcError, all_codes
from ehc.spec.areas import RETIRED, counties_of, find_areas, full_name, is_known_area, level_of, require_area
from ehc.spec.codes import ALL_TABLES
from ehc.spec.identifiers import (
    citizen_id_facts,
    mask_id,
    normalise_citizen_id,
    validate_birth_certificate,
    validate_organisation_code,
    validate_social_security_card_number,
    validate_uscc,
)

# Packages whose ``<package>.errors`` module registers codes; missing ones are skipped.
ERROR_PACKAGES = (
    "qr_codec",
    "card_emulators",
    "reference_node",
    "conformance_tests",
    "load_tests",
    "fixtures",
)


def _echo(text: str = "", nl: bool = True) -> None:
    # Always UTF-8 bytes: names of areas and codes must print (and pipe into files) on any
    # locale, where click.echo of a str raises UnicodeEncodeError on a latin-1 terminal.
    click.echo(text.encode("utf-8"), nl=nl)


def _emit(data: Any, as_json: bool = True) -> None:
    """ehc.clitools.emit's format, written as UTF-8 bytes."""
    if as_json or not isinstance(data, dict):
        _echo(json.dumps(data, ensure_ascii=False, indent=None if as_json else 2, default=str))
    else:
        for k, v in data.items():
            _echo(f"{k}: {v}")


@click.group("id")
def id_group() -> None:
    """Check identifiers (GB 11643 citizen ID, birth certificate, social security card, GB 11714
    organisation code, GB 32100 credit code) and look up areas and code tables."""


@id_group.command("check")
@click.argument("number")
@click.option("--birth-certificate", is_flag=True, help="Check a 出生医学证明 number instead.")
@click.option(
    "--ss-card",
    "ss_card",
    is_flag=True,
    help="Check a social security card number (kit form: letter + 8 digits).",
)
@click.option("--org", "org", is_flag=True, help="Check a GB 11714 organisation code.")
@click.option("--uscc", "uscc", is_flag=True, help="Check a GB 32100 unified social credit code.")
@click.option(
    "--strict-area",
    is_flag=True,
    help="Also require the area code to be in the kit's GB/T 2260 table (current or retired codes).",
)
@click.option("--json", "as_json", is_flag=True, help="Print facts as JSON.")
def check(
    number: str,
    birth_certificate: bool,
    ss_card: bool,
    org: bool,
    uscc: bool,
    strict_area: bool,
    as_json: bool,
) -> None:
    """Exit 0 and print the normalised number when valid; exit 1 and the error code when not."""
    try:
        if birth_certificate:
            _echo(validate_birth_certificate(number))
            return
        if ss_card:
            _echo(validate_social_security_card_number(number))
            return
        if org:
            _echo(validate_organisation_code(number))
            return
        if uscc:
            _echo(validate_uscc(number))
            return
        normal = normalise_citizen_id(number, strict_area=strict_area)
    except EhcError as err:
        fail(err, as_json)
    if as_json:
        facts = citizen_id_facts(normal)
        area = str(facts["area"])
        _emit(
            {
                "number": normal,
                **facts,
                "area_known": is_known_area(area),
                "area_name": full_name(area) if is_known_area(area) else "",
                "masked": mask_id(normal),
            }
        )
    else:
        _echo(normal)


@id_group.command("scan")
@click.argument("source", type=click.File("r", encoding="utf-8"))
@click.option("--strict-area", is_flag=True, help="Also require known GB/T 2260 area codes.")
@click.option("--details", is_flag=True, help="One line per invalid number: line, masked number, code.")
@click.option("--json", "as_json", is_flag=True)
def scan(source: TextIO, strict_area: bool, details: bool, as_json: bool) -> None:
    """Check a file of citizen ID numbers (one per line, '-' for stdin) and count the errors.

    For cleaning a patient index before batch issuance. Numbers are masked in the output; exit 1
    when any number is invalid.
    """
    counts: dict[str, int] = {}
    bad: list[dict[str, object]] = []
    total = legacy = 0
    for lineno, raw in enumerate(source, 1):
        number = raw.strip()
        if not number:
            continue
        total += 1
        try:
            normal = normalise_citizen_id(number, strict_area=strict_area)
        except EhcError as err:
            counts[err.code.name] = counts.get(err.code.name, 0) + 1
            if details:
                bad.append({"line": lineno, "number": mask_id(number), "code": err.code.name})
            continue
        legacy += normal != number
    invalid = sum(counts.values())
    summary: dict[str, object] = {
        "total": total,
        "valid": total - invalid,
        "legacy_15_digit": legacy,
        "invalid": counts,
    }
    if as_json:
        _emit({**summary, "details": bad} if details else summary)
    else:
        for row in bad:
            _echo(f"{row['line']}\t{row['number']}\t{row['code']}")
        _echo(
            f"total {total}, valid {total - invalid} ({legacy} legacy 15-digit), invalid {invalid}"
            + "".join(f", {k} {v}" for k, v in sorted(counts.items()))
        )
    if invalid:
        sys.exit(1)


@id_group.command("area")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True)
def area(code: str, as_json: bool) -> None:
    """Look up a GB/T 2260 area code (current or retired), or search by name (e.g. 兖州)."""
    if not code.isdigit():
        found = find_areas(code)
        if not found:
            fail(EhcError(ID_BAD_AREA, f"no area named like {code!r} in the kit's table"), as_json)
        rows = [{"code": c, "full_name": full_name(c), "retired": c in RETIRED} for c in found]
        if as_json:
            _emit(rows)
        else:
            for r in rows:
                _echo(f"{r['code']}  {r['full_name']}" + ("  (retired)" if r["retired"] else ""))
        return
    try:
        name = require_area(code)
    except EhcError as err:
        fail(err, as_json)
    facts: dict[str, object] = {
        "code": code,
        "name": name,
        "full_name": full_name(code),
        "level": level_of(code),
    }
    if code in RETIRED:
        facts["retired"] = {"successor": RETIRED[code][1], "year": RETIRED[code][2]}
    if level_of(code) == "city":
        facts["counties"] = list(counties_of(code))
    _emit(facts, as_json)


@id_group.command("codes")
@click.argument("table", required=False)
@click.option("--kit-only", is_flag=True, help="Only kit-defined (not confirmed) codes.")
@click.option("--json", "as_json", is_flag=True)
def codes(table: str | None, kit_only: bool, as_json: bool) -> None:
    """List the code tables, or the codes of one table (e.g. SCENES)."""
    if table is None:
        rows = [
            {"table": k, "name": t.name, "source": t.source, "codes": len(t)} for k, t in ALL_TABLES.items()
        ]
        if as_json:
            _emit(rows)
        else:
            for r in rows:
                _echo(f"{r['table']:<20} {r['codes']:>3}  {r['name']} ({r['source']})")
        return
    chosen = ALL_TABLES.get(table.upper())
    if chosen is None:
        fail(EhcError(CODE_UNKNOWN, f"no code table {table!r}; tables: {', '.join(ALL_TABLES)}"), as_json)
    entries = chosen.kit_defined() if kit_only else chosen.entries()
    if as_json:
        _emit([dataclasses.asdict(e) for e in entries])
        return
    for e in entries:
        mark = "" if e.confirmed else "  [kit-defined]"
        _echo(f"{e.code:<14} {e.zh}  {e.en}{mark}")


def load_error_modules() -> list[str]:
    """Import every ``errors`` module of every package, at any depth (a subpackage such as
    ``card_emulators.readers`` may own a number range); returns the modules loaded.

    Found by file name, so listing the codes does not import the packages' heavy modules."""
    loaded = []
    for pkg in ERROR_PACKAGES:
        spec = importlib.util.find_spec(pkg)
        if spec is None or not spec.submodule_search_locations:
            continue
        for root in spec.submodule_search_locations:
            for path in sorted(Path(root).rglob("errors.py")):
                rel = path.relative_to(root).with_suffix("").parts
                name = ".".join((pkg, *rel))
                try:
                    importlib.import_module(name)
                except ImportError:
                    continue
                loaded.append(name)
    return loaded


def errors_markdown() -> str:
    """docs/errors.md: every registered code, grouped by layer, from the live registry."""
    loaded = load_error_modules()
    lines = [
        "# Error codes",
        "",
        "Generated by `ehc errors --markdown > docs/errors.md`; do not edit by hand (a test fails when",
        "this file is stale). Names and numbers are stable: scripts may match on either.",
        "",
        "Packages included: ehc" + "".join(f", {m}" for m in loaded) + ".",
        "",
        "| Number | Name | Layer | Meaning |",
        "|---:|---|---|---|",
    ]
    for c in all_codes():
        meaning = c.meaning.replace("|", "\\|")
        lines.append(f"| {c.number} | `{c.name}` | {c.layer} | {meaning} |")
    return "\n".join(lines) + "\n"


@click.command("errors")
@click.argument("code", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.option("--markdown", is_flag=True, help="Print the Markdown table of docs/errors.md.")
def errors_command(code: str | None, as_json: bool, markdown: bool) -> None:
    """List every stable error code of the kit, or explain one: `ehc errors 2002`,
    `ehc errors NODE_CARD_SUSPENDED` (a name, a number or a unique part of a name)."""
    if markdown:
        _echo(errors_markdown(), nl=False)
        return
    load_error_modules()
    codes = all_codes()
    if code is not None:
        wanted = code.strip().upper()
        found = [c for c in codes if wanted in (str(c.number), c.name)]
        found = found or [c for c in codes if wanted in c.name]
        if len(found) != 1:
            names = ", ".join(c.name for c in found[:8]) or "none"
            raise click.UsageError(
                f"{code!r} names {len(found)} error codes ({names}): give a number or a full name; "
                "`ehc errors` lists them all"
            )
        c = found[0]
        if as_json:
            _emit({"name": c.name, "number": c.number, "layer": c.layer, "meaning": c.meaning})
        else:
            _echo(f"{c.number} {c.name} ({c.layer}): {c.meaning}")
        return
    if as_json:
        _emit([{"name": c.name, "number": c.number, "layer": c.layer, "meaning": c.meaning} for c in codes])
    else:
        for c in codes:
            _echo(f"{c.number}  {c.name:<32} {c.layer:<12} {c.meaning}")
