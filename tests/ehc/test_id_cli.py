"""`ehc id check` and `ehc errors`: CliRunner plus one real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from ehc.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_check_valid_prints_normalised() -> None:
    assert run("id", "check", "11010519491231002X") == (0, "11010519491231002X\n", "")
    code, out, _ = run("id", "check", "110105491231002")
    assert (code, out) == (0, "11010519491231002X\n")


def test_check_json_facts_are_masked_too() -> None:
    code, out, _ = run("id", "check", "--json", "11010519491231002X")
    facts = json.loads(out)
    assert code == 0
    assert facts["birth_date"] == "1949-12-31" and facts["sex"] == 2 and facts["area"] == "110105"
    assert facts["area_name"] == "北京市朝阳区" and facts["masked"] == "110105********002X"


def test_check_invalid_exits_1_with_code() -> None:
    code, out, err = run("id", "check", "11010519491231002x")
    assert code == 1 and out == "" and err.startswith("ID_LOWERCASE_X (1004)")
    code, _, err = run("id", "check", "--json", "110105194912310021")
    assert code == 1 and json.loads(err)["error"]["code"] == "ID_BAD_CHECKSUM"


def test_check_strict_area() -> None:
    number = "370899199001011239"  # structurally valid (checksum right), area 370899 unknown
    assert run("id", "check", number)[0] == 0
    code, _, err = run("id", "check", "--strict-area", number)
    assert code == 1 and "ID_BAD_AREA" in err


def test_check_other_identifiers() -> None:
    assert run("id", "check", "--birth-certificate", "P370012345")[:2] == (0, "P370012345\n")
    code, _, err = run("id", "check", "--birth-certificate", "p370012345")
    assert code == 1 and "BIRTH_CERT_BAD_FORMAT" in err
    assert run("id", "check", "--ss-card", "A12345678")[0] == 0
    assert run("id", "check", "--ss-card", "A1234567")[0] == 1


def test_errors_lists_every_code() -> None:
    code, out, _ = run("errors", "--json")
    rows = json.loads(out)
    names = {r["name"] for r in rows}
    assert code == 0 and {"ID_BAD_CHECKSUM", "CODE_UNKNOWN", "FIXTURES_BAD_REGION"} <= names
    numbers = [r["number"] for r in rows]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


def test_real_subprocess() -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "ehc.cli", "id", "check", "11010519491231002X"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert ok.returncode == 0 and ok.stdout == "11010519491231002X\n"
    bad = subprocess.run(
        [sys.executable, "-m", "ehc.cli", "id", "check", "123"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert bad.returncode == 1 and bad.stderr.startswith("ID_BAD_LENGTH (1002)")
    assert "Traceback" not in bad.stderr


def test_area_lookup() -> None:
    code, out, _ = run("id", "area", "--json", "370802")
    facts = json.loads(out)
    assert code == 0 and facts["full_name"] == "山东省济宁市市中区"
    assert facts["retired"] == {"successor": "370811", "year": 2013}
    code, out, _ = run("id", "area", "--json", "370300")
    assert json.loads(out)["counties"][0] == "370302"
    code, _, err = run("id", "area", "370899")
    assert code == 1 and err.startswith("ID_BAD_AREA")


def test_codes_listing() -> None:
    code, out, _ = run("id", "codes", "--json")
    assert code == 0 and {r["table"] for r in json.loads(out)} >= {"SCENES", "CARD_MEDIA", "NATIONS"}
    code, out, _ = run("id", "codes", "--json", "--kit-only", "qr_code_types")
    assert code == 0 and json.loads(out) == []  # both QR code types are confirmed
    code, out, _ = run("id", "codes", "document_types")
    assert out.splitlines()[0].split()[:2] == ["01", "居民身份证"]
    code, _, err = run("id", "codes", "nope")
    assert code == 1 and err.startswith("CODE_UNKNOWN")


def test_check_organisation_codes() -> None:
    assert run("id", "check", "--org", "D2143569-X")[:2] == (0, "D2143569X\n")
    code, _, err = run("id", "check", "--org", "D2143569-1")
    assert code == 1 and err.startswith("ORG_CODE_BAD (1050)")
    assert run("id", "check", "--uscc", "91440300708461136T")[0] == 0
    code, _, err = run("id", "check", "--uscc", "91440300708461136A")
    assert code == 1 and err.startswith("USCC_BAD (1051)")


def test_scan_counts_and_masks(tmp_path: Path) -> None:
    from fixtures.population import generate_lines

    numbers = [json.loads(line)["id_number"] for line in generate_lines(count=200, seed=3, newborn_rate=0.0)]
    broken = numbers[0][:17] + ("0" if numbers[0][17] != "0" else "1")
    path = tmp_path / "ids.txt"
    path.write_text("\n".join([*numbers, "110105491231002", "", broken, "12345"]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["id", "scan", "--json", "--details", str(path)])
    report = json.loads(result.stdout)
    assert result.exit_code == 1
    assert report["total"] == 203 and report["valid"] == 201 and report["legacy_15_digit"] == 1
    assert report["invalid"] == {"ID_BAD_CHECKSUM": 1, "ID_BAD_LENGTH": 1}
    assert [d["line"] for d in report["details"]] == [203, 204]
    assert broken not in result.stdout and report["details"][0]["number"].count("*") == 8
    clean = tmp_path / "clean.txt"
    clean.write_text("\n".join(numbers), encoding="utf-8")
    ok = CliRunner().invoke(main, ["id", "scan", str(clean)])
    assert ok.exit_code == 0 and ok.stdout.startswith("total 200, valid 200")


def test_area_search_by_name() -> None:
    code, out, _ = run("id", "area", "--json", "郫")
    assert code == 0 and [r["code"] for r in json.loads(out)] == ["510117", "510124"]
    code, _, err = run("id", "area", "火星")
    assert code == 1 and err.startswith("ID_BAD_AREA")


def test_chinese_output_on_a_latin1_locale() -> None:
    env = {**os.environ, "PYTHONIOENCODING": "latin-1"}
    proc = subprocess.run(
        [sys.executable, "-m", "ehc.cli", "id", "codes", "sexes"],
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0 and "男" in proc.stdout.decode("utf-8")
