"""Report files of a certification run, the JSON schema, signing and tamper detection."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from importlib import resources

import jsonschema
import pytest
from click.testing import CliRunner

from conformance_tests.cli import certify
from conformance_tests.reportsign import load_lab_key, sign_directory, verify_directory
from ehc.gm import SM2PrivateKey


def test_certification_run_of_the_reference_codec_passes_with_all_files(codec_report):
    code, out, run = codec_report
    assert code == 0
    for name in ("report.json", "junit.xml", "report.html", "manifest.json", "manifest.sig"):
        assert (out / name).is_file(), name
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["verdict"] == "pass" and report["mode"] == "certification"
    hypothesis = dict(report["hypothesis"])
    nonce = hypothesis.pop("nonce", "")  # fresh identifiers per run (plugin): 16 hex digits
    assert len(nonce) == 16 and int(nonce, 16) >= 0
    assert hypothesis == {
        "mode": "certification",
        "derandomize": True,
        "seed": 0,
        "max_examples": 10,
        "database": None,
        "replayed_from": None,
    }
    assert len(report["tool"]["source_sm3"]) == 64


def test_report_json_follows_the_published_schema(codec_report):
    _, out, _ = codec_report
    schema = json.loads(
        resources.files("conformance_tests").joinpath("report_schema.json").read_text("utf-8")
    )
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, schema, format_checker=jsonschema.FormatChecker())


def test_every_verdict_traces_to_tests_and_transcripts(codec_report):
    _, out, _ = codec_report
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    tests = {t["nodeid"]: t for t in report["tests"]}
    passed = [r for r in report["requirements"] if r["verdict"] == "pass"]
    assert passed
    for r in passed:
        assert r["tests"], r["id"]
        assert any(tests[n]["transcript"] for n in r["tests"]), f"{r['id']} has no transcript"


def test_junit_has_one_testcase_per_test_with_requirement_properties(codec_report):
    _, out, _ = codec_report
    suite = ET.parse(out / "junit.xml").getroot()
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    cases = suite.findall("testcase")
    assert len(cases) == len(report["tests"]) == int(suite.get("tests"))
    assert all(c.find("properties/property[@name='requirement']") is not None for c in cases)


def test_html_is_self_contained(codec_report):
    _, out, _ = codec_report
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<style>" in html and "Verdict: PASS" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    assert "<script" not in html


def test_reports_never_contain_full_identifiers(tmp_path):
    from conformance_tests.runner import RunOptions, run

    out = tmp_path / "card"
    run(
        RunOptions(
            role="card",
            dut="emulated",
            out=str(out),
            max_examples=5,
            quiet=True,
            certification=True,
            waivers=str(resources.files("conformance_tests").joinpath("selftest_waivers.toml")),
        )
    )
    from conformance_tests.adapters.card import EmulatedCard

    class _Log:
        def __getattr__(self, name):
            return lambda *a, **k: None

    holder = EmulatedCard(type("R", (), {"holder": _Log()})()).holder()
    for name in ("report.json", "report.html", "junit.xml"):
        text = (out / name).read_text(encoding="utf-8")
        assert holder["id_number"] not in text, f"{name} contains the full ID number"
        assert holder["id_number"].encode().hex().upper() not in text, f"{name} contains the ID number in hex"


@pytest.fixture
def signed_copy(codec_report, tmp_path):
    _, out, _ = codec_report
    copy = tmp_path / "report"
    shutil.copytree(out, copy)
    return copy


def test_signed_report_verifies_and_names_an_altered_file(signed_copy):
    assert verify_directory(signed_copy).ok
    html = signed_copy / "report.html"
    html.write_text(html.read_text(encoding="utf-8").replace("PASS", "PASZ", 1), encoding="utf-8")
    result = verify_directory(signed_copy)
    assert not result.ok and result.altered == ["report.html"] and result.signature_ok


def test_added_and_deleted_files_are_named(signed_copy):
    (signed_copy / "junit.xml").unlink()
    (signed_copy / "extra.txt").write_text("x", encoding="utf-8")
    result = verify_directory(signed_copy)
    assert result.missing == ["junit.xml"] and result.added == ["extra.txt"]


def test_a_rewritten_manifest_breaks_the_signature(signed_copy):
    manifest = json.loads((signed_copy / "manifest.json").read_bytes())
    manifest["files"] = manifest["files"][1:]
    (signed_copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = verify_directory(signed_copy)
    assert not result.signature_ok and not result.ok


def test_lab_key_signing_and_trust(tmp_path):
    key_path = tmp_path / "lab.pem"
    key = SM2PrivateKey.generate()
    key_path.write_bytes(key.to_pem())
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "report.json").write_text("{}", encoding="utf-8")
    lab_key, label, test_only = load_lab_key(key_path)
    assert not test_only
    sign_directory(tmp_path / "r", lab_key, label, test_only)
    assert verify_directory(tmp_path / "r", key.public_key).key_trusted
    other = SM2PrivateKey.generate().public_key
    result = verify_directory(tmp_path / "r", other)
    assert not result.ok and not result.key_trusted


def test_verify_report_cli_says_which_file_was_altered(signed_copy, tmp_path):
    runner = CliRunner()
    ok = runner.invoke(certify, ["verify-report", str(signed_copy)])
    assert ok.exit_code == 0 and "NOT checked against a trusted lab key" in ok.output
    (signed_copy / "report.json").write_text("{}", encoding="utf-8")
    bad = runner.invoke(certify, ["verify-report", str(signed_copy), "--json"])
    assert bad.exit_code == 1
    assert json.loads(bad.output)["altered"] == ["report.json"]
    pub = tmp_path / "someone.pub.pem"
    pub.write_bytes(SM2PrivateKey.generate().public_key.to_pem())
    untrusted = runner.invoke(certify, ["verify-report", str(signed_copy), "--lab-key", str(pub)])
    assert untrusted.exit_code == 1 and "DOES NOT MATCH" in untrusted.output
