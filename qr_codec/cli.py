"""``ehc qr``: derive EHCIDs, make/parse QR texts, render/read images, generate degraded sets.

Keys may come from the environment (EHC_ROOT_KEY, EHC_PROTECT_KEY) so they stay out of shell
history; they are never printed.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from ehc.clitools import deprecated_alias, emit, fail, json_option
from ehc.errors import EhcError
from ehc.spec.identifiers import mask_id
from qr_codec import errors as qe
from qr_codec.ehcid import derive_ehcid
from qr_codec.text import (
    DEFAULT_POLICY,
    NATIONAL_STRICT_POLICY,
    accept_opaque,
    make_dynamic,
    make_static,
    parse,
)

_TIME_FORMAT = "%Y%m%d%H%M%S"


def _hex(value: str | None, length: int, what: str) -> bytes:
    try:
        raw = bytes.fromhex(value or "")
    except ValueError:
        raise click.BadParameter(f"{what} must be hex") from None
    if len(raw) != length:
        raise click.BadParameter(f"{what} must be {length} bytes ({2 * length} hex digits)")
    return raw


def _time(value: str | None, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        if len(value) != 14 or not value.isdigit():
            raise ValueError
        return datetime.strptime(value, _TIME_FORMAT)
    except ValueError:
        raise click.BadParameter(f"{what} must be YYYYMMDDHHMMSS (platform wall time, UTC+8)") from None


@click.group("qr", context_settings={"help_option_names": ["-h", "--help"]})
def qr() -> None:
    """Electronic health card IDs and QR codes (static ``<EHCID>:1``, dynamic ``<EHCID>:0:<V>``)."""


@qr.command("derive")
@click.option("--main-index", required=True, help="Main index (主索引ID), 64 hex digits.")
@click.option(
    "--root-key", envvar="EHC_ROOT_KEY", required=True, help="Root security key, 32 hex [env EHC_ROOT_KEY]."
)
@click.option("--id-type", default="01", show_default=True, help="Document type (CV02.01.101), 2 digits.")
@click.option("--id-number", required=True, help="Document number (ID numbers with upper-case X).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def derive_command(main_index: str, root_key: str, id_type: str, id_number: str, as_json: bool) -> None:
    """Derive the EHCID: SM4(userKey, zero-pad(type + number)), userKey from the main index."""
    m = _hex(main_index, 32, "--main-index")
    k = _hex(root_key, 16, "--root-key")
    try:
        ehcid = derive_ehcid(m, k, id_type, id_number)
    except EhcError as err:
        fail(err, as_json)
    if as_json:
        emit({"ehcid": ehcid, "id_type": id_type, "id_number": mask_id(id_number)})
    else:
        click.echo(ehcid)


@qr.command("make")
@click.option("--ehcid", required=True, help="EHCID, upper-case hex.")
@click.option("--dynamic", is_flag=True, help="Make a dynamic code (needs --protect-key).")
@click.option("--protect-key", envvar="EHC_PROTECT_KEY", help="Protect key, 32 hex [env EHC_PROTECT_KEY].")
@click.option(
    "--valid-until",
    help="Expiry YYYYMMDDHHMMSS (UTC+8), any time (past ones make expired test codes); default now + --lifetime.",
)
@click.option(
    "--lifetime",
    type=click.IntRange(1),
    default=int(DEFAULT_POLICY.default_lifetime.total_seconds()),
    show_default=True,
    help="Seconds a new dynamic code stays valid.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def make_command(
    ehcid: str, dynamic: bool, protect_key: str | None, valid_until: str | None, lifetime: int, as_json: bool
) -> None:
    """Print the QR text of a static or dynamic code."""
    try:
        if dynamic:
            if not protect_key:
                raise click.UsageError("--dynamic needs --protect-key (or EHC_PROTECT_KEY)")
            key = _hex(protect_key, 16, "--protect-key")
            text = make_dynamic(
                ehcid, key, _time(valid_until, "--valid-until"), lifetime=timedelta(seconds=lifetime)
            )
        else:
            if valid_until:
                raise click.UsageError("--valid-until needs --dynamic")
            text = make_static(ehcid)
    except EhcError as err:
        fail(err, as_json)
    if as_json:
        emit({"text": text, "kind": "dynamic" if dynamic else "static", "length": len(text)})
    else:
        click.echo(text)


def _text_argument(text: str) -> str:
    """``-`` reads the text from stdin (one line; the line break is not part of the code)."""
    if text != "-":
        return text
    return sys.stdin.readline().rstrip("\r\n")


@qr.command("parse")
@click.argument("text")
@click.option("--protect-key", envvar="EHC_PROTECT_KEY", help="Protect key, 32 hex: open and check validity.")
@click.option("--now", help="Validation clock YYYYMMDDHHMMSS (UTC+8); default the system clock.")
@click.option("--clock-skew", type=click.IntRange(0), help="Seconds of tolerance (default 30).")
@click.option("--strict", is_flag=True, help="Accept only 64-digit EHCIDs (66/99-character texts).")
@click.option(
    "--allow-opaque",
    is_flag=True,
    help="Do what a terminal does: a text that is not a national code is an opaque token (<= 256 chars).",
)
@json_option("JSON (always: the fields, or the error on stderr); accepted for the kit's one convention")
def parse_command(
    text: str,
    protect_key: str | None,
    now: str | None,
    clock_skew: int | None,
    strict: bool,
    allow_opaque: bool,
    as_json: bool,
) -> None:
    """Parse and check a QR text (- reads it from stdin); prints its fields as JSON, exits 1 with
    the error code if invalid or expired."""
    key = _hex(protect_key, 16, "--protect-key") if protect_key else None
    skew = None if clock_skew is None else timedelta(seconds=clock_skew)
    policy = NATIONAL_STRICT_POLICY if strict else DEFAULT_POLICY
    text = _text_argument(text)
    try:
        code = parse(text, key, _time(now, "--now"), skew, policy=policy)
    except EhcError as err:
        if not allow_opaque or err.code.layer not in ("length", "alphabet", "fields", "type"):
            fail(err, as_json=True)
        try:
            emit(accept_opaque(text).to_dict() | {"not_national_because": err.code.name})
        except EhcError as opaque_err:
            fail(opaque_err, as_json=True)
        return
    out = code.to_dict()
    out["validity_checked"] = key is not None or code.kind == "static"
    emit(out)


@deprecated_alias("--output", "--out")
@qr.command("render")
@click.argument("text")
@click.option("-o", "--out", "output", required=True, help="FILE.png, FILE.svg, or - for terminal text.")
@click.option(
    "--ec-level",
    type=click.Choice(["L", "M", "Q", "H"], case_sensitive=False),
    default="Q",
    show_default=True,
)
@click.option("--scale", type=click.IntRange(1, 100), default=4, show_default=True, help="Pixels per module.")
@click.option(
    "--border", type=click.IntRange(0, 100), default=4, show_default=True, help="Quiet zone, modules."
)
def render_command(text: str, output: str, ec_level: str, scale: int, border: int) -> None:
    """Render a QR text (- reads it from stdin) as PNG, SVG or terminal text."""
    from qr_codec.image import render_png, render_svg, render_terminal

    text = _text_argument(text)
    try:
        if output == "-":
            click.echo(render_terminal(text, ec_level=ec_level, border=border), nl=False)
            return
        suffix = Path(output).suffix.lower()
        if suffix == ".png":
            Path(output).write_bytes(render_png(text, ec_level=ec_level, scale=scale, border=border))
        elif suffix == ".svg":
            Path(output).write_text(render_svg(text, ec_level=ec_level, scale=scale, border=border), "utf-8")
        else:
            raise click.BadParameter("output must end in .png or .svg, or be -", param_hint="-o")
    except EhcError as err:
        fail(err)
    click.echo(output)


@qr.command("read")
@click.argument("image", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="Print every code with format and position as JSON.")
@click.option("--all-formats", is_flag=True, help="Read every symbology, not only the QR family.")
def read_command(image: str, as_json: bool, all_formats: bool) -> None:
    """Decode every code in an image file (- reads the image from stdin)."""
    from qr_codec.image import QR_FORMATS, read_codes

    source: object = sys.stdin.buffer.read() if image == "-" else image
    try:
        codes = read_codes(source, formats="all" if all_formats else QR_FORMATS)
        if not codes:
            raise EhcError(qe.IMAGE_NO_CODE)
    except EhcError as err:
        fail(err, as_json)
    if as_json:
        emit({"codes": [c.to_dict() for c in codes]})
    else:
        for c in codes:
            click.echo(c.text)


@qr.command("degrade")
@click.argument("text")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Directory to write.")
@click.option(
    "--seed", type=click.IntRange(0), required=True, help="Seed: the same seed gives identical images."
)
@click.option(
    "--samples", type=click.IntRange(1, 1000), default=4, show_default=True, help="Images per preset."
)
@click.option("--preset", "presets", multiple=True, help="Preset name (repeatable); default all.")
@click.option(
    "--ec-level",
    type=click.Choice(["L", "M", "Q", "H"], case_sensitive=False),
    default="Q",
    show_default=True,
)
@click.option("--check", is_flag=True, help="Also record whether the kit's reader decodes each image.")
@json_option("print manifest.json instead of the text summary; errors as JSON too")
def degrade_command(
    text: str,
    out_dir: str,
    seed: int,
    samples: int,
    presets: tuple[str, ...],
    ec_level: str,
    check: bool,
    as_json: bool,
) -> None:
    """Write a named, reproducible set of degraded images of TEXT plus manifest.json."""
    from PIL import Image

    from qr_codec.degrade import degraded_set
    from qr_codec.image import read_codes

    try:
        items = degraded_set(text, seed, presets=presets or None, samples=samples, ec_level=ec_level.upper())
    except EhcError as err:
        fail(err, as_json)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, Any]] = []
    for s in items:
        name = f"{s.name}_{s.index:03d}.png"
        Image.fromarray(s.image).save(out / name)
        entry: dict[str, Any] = {
            "file": name,
            "preset": s.name,
            "severity": s.severity,
            "params": s.params,
            "index": s.index,
            "expected_text": s.expected_text,
        }
        if check:
            entry["kit_reads"] = any(c.text == s.expected_text for c in read_codes(s.image))
        entries.append(entry)
    manifest = {"seed": seed, "ec_level": ec_level.upper(), "samples_per_preset": samples, "images": entries}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
    if as_json:
        emit(manifest)
        return
    click.echo(f"{len(entries)} images + manifest.json in {out}")
    if check:  # one line per preset: what the kit's own reader decodes
        for name in dict.fromkeys(e["preset"] for e in entries):
            mine = [e for e in entries if e["preset"] == name]
            read = sum(e["kit_reads"] for e in mine)
            click.echo(f"  {name:18s} {mine[0]['severity']:6s} kit reads {read}/{len(mine)}")
