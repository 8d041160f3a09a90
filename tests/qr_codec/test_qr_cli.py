"""``ehc qr``: every command through click's CliRunner, and the installed ``ehc`` once as a process."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from qr_codec.cli import qr
from qr_codec.ehcid import derive_ehcid

MAIN = "11" * 32
ROOT = "22" * 16  # TEST-ONLY
PROTECT = "33" * 16  # TEST-ONLY
NUMBER = "37080219900101123X"
EHCID = derive_ehcid(bytes.fromhex(MAIN), bytes.fromhex(ROOT), "01", NUMBER)


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str, env: dict | None = None):
        return runner.invoke(qr, list(args), env=env, catch_exceptions=False)

    return invoke


@pytest.mark.parametrize("command", [[], ["derive"], ["make"], ["parse"], ["render"], ["read"], ["degrade"]])
def test_every_command_has_help(run, command) -> None:
    res = run(*command, "--help")
    assert res.exit_code == 0 and "Usage:" in res.output


def test_derive_prints_the_ehcid_and_masks_the_number_in_json(run) -> None:
    res = run("derive", "--main-index", MAIN, "--root-key", ROOT, "--id-type", "01", "--id-number", NUMBER)
    assert res.exit_code == 0 and res.output.strip() == EHCID
    res = run("derive", "--main-index", MAIN, "--id-number", NUMBER, "--json", env={"EHC_ROOT_KEY": ROOT})
    data = json.loads(res.output)
    assert data["ehcid"] == EHCID and NUMBER not in res.output and ROOT not in res.output


def test_derive_errors_exit_non_zero_with_the_code(run) -> None:
    res = run("derive", "--main-index", MAIN, "--root-key", ROOT, "--id-number", NUMBER.lower())
    assert res.exit_code == 1 and "EHCID_LOWERCASE_X" in res.output
    res = run("derive", "--main-index", "ABC", "--root-key", ROOT, "--id-number", NUMBER)
    assert res.exit_code == 2  # click usage error


def test_make_and_parse_dynamic_with_a_pinned_clock(run) -> None:
    res = run(
        "make", "--ehcid", EHCID, "--dynamic", "--protect-key", PROTECT, "--valid-until", "20260315083500"
    )
    text = res.output.strip()
    assert res.exit_code == 0 and len(text) == 99
    res = run("parse", text, "--protect-key", PROTECT, "--now", "20260315083000")
    data = json.loads(res.output)
    assert res.exit_code == 0
    assert (data["kind"], data["ehcid"], data["valid_until"], data["validity_checked"]) == (
        "dynamic",
        EHCID,
        "20260315083500",
        True,
    )
    res = run("parse", text, "--protect-key", PROTECT, "--now", "20260315090000")
    assert res.exit_code == 1 and json.loads(res.output)["error"]["code"] == "QR_EXPIRED"
    res = run("parse", text, "--now", "20300101000000")
    assert res.exit_code == 0 and json.loads(res.output)["validity_checked"] is False


def test_make_static_and_parse_errors(run) -> None:
    res = run("make", "--ehcid", EHCID, "--json")
    assert json.loads(res.output) == {"text": EHCID + ":1", "kind": "static", "length": 66}
    res = run("parse", EHCID.lower() + ":1")
    assert res.exit_code == 1 and "QR_LOWERCASE_HEX" in res.output
    res = run("make", "--ehcid", EHCID, "--dynamic")
    assert res.exit_code == 2 and "--protect-key" in res.output
    res = run("make", "--ehcid", "XYZ")
    assert res.exit_code == 1 and "EHCID_BAD_FORMAT" in res.output
    res = run("parse", EHCID[:32] + ":1", "--strict")
    assert res.exit_code == 1 and "QR_BAD_LENGTH" in res.output


def test_render_png_svg_terminal_and_read_back(run, tmp_path) -> None:
    text = EHCID + ":1"
    png, svg = tmp_path / "c.png", tmp_path / "c.svg"
    assert run("render", text, "-o", str(png), "--ec-level", "H").exit_code == 0
    assert run("render", text, "-o", str(svg)).exit_code == 0
    assert svg.read_text().lstrip().startswith("<?xml")
    term = run("render", text, "-o", "-")
    assert term.exit_code == 0 and "█" in term.output
    res = run("read", str(png))
    assert res.exit_code == 0 and res.output.strip() == text
    data = json.loads(run("read", str(png), "--json").output)
    assert data["codes"][0]["text"] == text and data["codes"][0]["ec_level"] == "H"
    res = run("render", text, "-o", str(tmp_path / "c.gif"))
    assert res.exit_code == 2


def test_read_errors(run, tmp_path) -> None:
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("L", (50, 50), 255).save(blank)
    res = run("read", str(blank))
    assert res.exit_code == 1 and "IMAGE_NO_CODE" in res.output
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    res = run("read", str(bad), "--json")
    assert res.exit_code == 1 and json.loads(res.output)["error"]["code"] == "IMAGE_UNREADABLE"


def test_degrade_writes_images_and_manifest(run, tmp_path) -> None:
    out = tmp_path / "deg"
    res = run(
        "degrade",
        EHCID + ":1",
        "--out",
        str(out),
        "--seed",
        "5",
        "--samples",
        "2",
        "--preset",
        "blur-1",
        "--preset",
        "finder-1",
        "--check",
    )
    assert res.exit_code == 0, res.output
    assert "blur-1" in res.output and "kit reads 2/2" in res.output and "kit reads 0/2" in res.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5 and len(manifest["images"]) == 4
    for entry in manifest["images"]:
        assert (out / entry["file"]).exists()
        assert entry["kit_reads"] == (entry["preset"] == "blur-1")
    again = tmp_path / "again"
    run(
        "degrade",
        EHCID + ":1",
        "--out",
        str(again),
        "--seed",
        "5",
        "--samples",
        "2",
        "--preset",
        "blur-1",
        "--preset",
        "finder-1",
    )
    assert (again / "blur-1_001.png").read_bytes() == (out / "blur-1_001.png").read_bytes()
    res = run("degrade", "X", "--out", str(out), "--seed", "1", "--preset", "nope")
    assert res.exit_code == 1 and "DEGRADE_UNKNOWN" in res.output


def test_installed_ehc_command_runs_in_a_subprocess(tmp_path) -> None:
    exe = shutil.which("ehc")
    assert exe, "the ehc console script is not installed: run `pip install -e .`"
    out = subprocess.run(
        [exe, "qr", "derive", "--main-index", MAIN, "--id-number", NUMBER],
        env={"EHC_ROOT_KEY": ROOT, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == EHCID
    bad = subprocess.run([exe, "qr", "parse", "nonsense"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "QR_BAD_LENGTH" in bad.stderr


def test_parse_and_render_read_the_text_from_stdin(tmp_path) -> None:
    runner = CliRunner()
    res = runner.invoke(qr, ["parse", "-"], input=EHCID + ":1\r\n")
    assert res.exit_code == 0 and json.loads(res.output)["kind"] == "static"
    out = tmp_path / "s.png"
    assert runner.invoke(qr, ["render", "-", "-o", str(out)], input=EHCID + ":1\n").exit_code == 0
    assert runner.invoke(qr, ["read", str(out)]).output.strip() == EHCID + ":1"


def test_parse_allow_opaque_behaves_like_a_terminal(run) -> None:
    res = run("parse", "HIS-CARD-0001", "--allow-opaque")
    data = json.loads(res.output)
    assert res.exit_code == 0 and data == {
        "kind": "opaque",
        "text": "HIS-CARD-0001",
        "not_national_because": "QR_BAD_LENGTH",
    }
    res = run("parse", "Z" * 300, "--allow-opaque")
    assert res.exit_code == 1 and "OPAQUE_TOO_LONG" in res.output
    # a well-formed national code that fails its validity check is NOT downgraded to opaque
    expired = run(
        "make", "--ehcid", EHCID, "--dynamic", "--protect-key", PROTECT, "--valid-until", "20200101000000"
    ).output.strip()
    res = run("parse", expired, "--protect-key", PROTECT, "--allow-opaque")
    assert res.exit_code == 1 and "QR_EXPIRED" in res.output


def test_read_an_image_from_stdin() -> None:
    from qr_codec.image import render_png

    res = CliRunner().invoke(qr, ["read", "-"], input=render_png(EHCID + ":1"))
    assert res.exit_code == 0 and res.output.strip() == EHCID + ":1"
