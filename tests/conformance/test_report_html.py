"""report.html from real codec runs: the signing key shown (lab key or TEST-ONLY), the layout order,
autoescaping of what a device says, not-applicable rows grouped by reason, the reproduce lines,
and the page covered by the signature. Browser rendering: tests/browser/test_report_pages.py."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from conformance_tests.html_report import render_html
from conformance_tests.reportsign import verify_directory
from conformance_tests.runner import RunOptions, run
from ehc.gm import SM2PrivateKey

HOSTILE = '<img src=x onerror="alert(1)">'


@pytest.fixture(scope="module")
def lab_signed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("lab")
    key = tmp / "lab.pem"
    key.write_bytes(SM2PrivateKey.generate().to_pem())
    out = tmp / "report"
    code = run(
        RunOptions(
            role="codec", out=str(out), max_examples=3, quiet=True, certification=True, lab_key=str(key)
        )
    )
    assert code == 0
    return out


def _report(out: Path) -> dict:
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def test_lab_signed_page_names_the_key_not_test_only(lab_signed: Path) -> None:
    html = (lab_signed / "report.html").read_text(encoding="utf-8")
    manifest = json.loads((lab_signed / "manifest.json").read_text(encoding="utf-8"))
    assert 'class="sig lab"' in html and 'class="sig test-only"' not in html and "仅供测试" not in html
    assert manifest["signer"]["public_key_sm3"] in html and "lab key lab.pem" in html
    assert "结论：通过" in html and "Verdict: PASS" in html
    assert "<script" not in html and not re.search(r"""(src|href)=["']?https?://""", html)
    # sections in the order an evaluator reads them
    order = [html.index(f'<section{c} id="{s}"') for c, s in [("", "summary"), (' class="page"', "failures")]]
    order += [html.index(f'id="{s}"') for s in ("passes", "not-applicable", "records")]
    assert order == sorted(order)
    # signed as written: the page is in the manifest and verifies
    assert "report.html" in {f["path"] for f in manifest["files"]}
    assert verify_directory(lab_signed).ok


def test_not_applicable_rows_are_grouped_by_reason(lab_signed: Path) -> None:
    report = _report(lab_signed)
    html = render_html(report, None)
    na = [r for r in report["requirements"] if r["verdict"] == "not-applicable"]
    groups = re.findall(r'<details class="print-open na-group"><summary>(.*?) — (\d+)</summary>', html)
    assert (
        sum(int(n) for _, n in groups)
        == len(na)
        == html.count('<tr data-requirement="')
        - sum(1 for r in report["requirements"] if r["verdict"] == "pass")
    )
    assert len(groups) == len({r["reason"] for r in na})
    assert 'class="sig unsigned"' in html  # no signer given to the renderer: said so, not invented


def test_device_text_is_escaped_and_failures_say_how_to_reproduce(lab_signed: Path) -> None:
    report = copy.deepcopy(_report(lab_signed))
    before = json.dumps(report, sort_keys=True)
    test = next(t for t in report["tests"] if t["outcome"] == "passed" and t["requirements"])
    test["outcome"] = "failed"
    test["message"] = f"AssertionError: device said {HOSTILE}"
    test["transcript"] = [{"kind": "note", "text": HOSTILE, "t_ms": 1.0}]
    rid = test["requirements"][0]
    req = next(r for r in report["requirements"] if r["id"] == rid)
    req["verdict"] = "fail"
    snapshot = json.dumps(report, sort_keys=True)
    html = render_html(report, {"label": "x", "test_only": True, "fingerprint": "ab" * 32})
    assert json.dumps(report, sort_keys=True) == snapshot != before  # rendering never alters the report
    assert HOSTILE not in html and "&lt;img src=x onerror=" in html
    finding = html[html.index(f'data-requirement="{rid}"') :]
    finding = finding[: finding.index("</div>\n", finding.index("How to reproduce"))]
    name = test["nodeid"].rpartition("::")[2].split("[")[0]
    assert f"--profile national --replay REPORT_DIR -k &#34;{name}&#34;" in finding
    assert "--ehc-role=codec" in finding
    assert 'class="sig test-only"' in html and "仅供测试" in html
