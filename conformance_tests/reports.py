"""Write the report directory of a run: report.json, junit.xml, report.html, signed manifest."""

from __future__ import annotations

import json
import platform
import sys
import uuid
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from ehc.gm import sm3

from .html_report import render_html
from .reportsign import load_lab_key, sign_directory
from .toolhash import kit_identity

REPORT_SCHEMA_ID = "https://ehc-kit.example/schemas/conformance-report/1"
REPORT_JSON = "report.json"
JUNIT_XML = "junit.xml"
REPORT_HTML = "report.html"


def build_report(run: Any) -> dict[str, Any]:
    import hypothesis

    result = run.result
    catalogue = run.catalogue
    tests = sorted(run.records.values(), key=lambda t: (not t.failed, t.nodeid))
    requirements = sorted(
        (r.to_dict(catalogue) for r in result.requirements),
        key=lambda r: (
            ["fail", "waived", "not-tested", "pass", "not-applicable"].index(r["verdict"]),
            r["id"],
        ),
    )
    applicable = [r for r in requirements if r["verdict"] != "not-applicable"]
    tested = [r for r in applicable if r["verdict"] in ("pass", "fail", "waived")]
    return {
        "$schema": REPORT_SCHEMA_ID,
        "schema_version": 1,
        "report_id": str(uuid.uuid4()),
        "verdict": "pass" if result.passed else "fail",
        "role": run.role,
        "mode": "certification" if run.certification else "development",
        "dut": {"adapter": run.dut_spec, **run.adapter_info, **run.declaration.dut},
        "declaration": run.declaration.to_dict(),
        "profile": run.profile.to_dict(),
        "tool": {
            **kit_identity(),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "hypothesis_version": hypothesis.__version__,
        },
        "hypothesis": run.hypothesis_info,
        "started_at": run.started.isoformat(timespec="seconds"),
        "finished_at": run.finished.isoformat(timespec="seconds") if run.finished else None,
        "summary": {
            "requirements": result.counts(),
            "gating_failures": result.gating_failures(),
            "tests": _test_counts(tests),
        },
        "coverage": {
            "applicable": len(applicable),
            "tested": len(tested),
            "ratio": round(len(tested) / len(applicable), 4) if applicable else None,
            "untested": [r["id"] for r in applicable if r["verdict"] == "not-tested"],
        },
        "waivers": {
            "file": run.waiver_file,
            "entries": [w.to_dict() for w in run.waivers],
            "problems": [p.to_dict() for p in result.waiver_problems],
        },
        "requirements": requirements,
        "tests": [t.to_dict() for t in tests],
    }


def _test_counts(tests: list) -> dict[str, int]:
    out = {"passed": 0, "failed": 0, "error": 0, "skipped": 0, "not-run": 0}
    for t in tests:
        out[t.outcome] = out.get(t.outcome, 0) + 1
    return out


def build_junit(report: dict[str, Any]) -> bytes:
    """JUnit XML: one testcase per test, requirement ids as properties; one suite per run."""
    tests = report["tests"]
    counts = report["summary"]["tests"]
    suite = ET.Element(
        "testsuite",
        name=f"ehc-conformance-{report['role']}-{report['profile']['name']}",
        tests=str(len(tests)),
        failures=str(counts["failed"]),
        errors=str(counts["error"]),
        skipped=str(counts["skipped"]),
        timestamp=report["started_at"],
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("verdict", report["verdict"]),
        ("report_id", report["report_id"]),
        ("tool_source_sm3", report["tool"]["source_sm3"]),
        ("hypothesis_seed", str(report["hypothesis"].get("seed"))),
    ):
        ET.SubElement(props, "property", name=name, value=value)
    for t in tests:
        classname, _, name = t["nodeid"].rpartition("::")
        case = ET.SubElement(
            suite,
            "testcase",
            classname=classname.replace("/", ".").removesuffix(".py"),
            name=name,
            time=f"{t['duration_s']:.4f}",
        )
        cprops = ET.SubElement(case, "properties")
        for rid in t["requirements"]:
            ET.SubElement(cprops, "property", name="requirement", value=rid)
        if t["outcome"] == "failed":
            kind = "failure"
        elif t["outcome"] == "error":
            kind = "error"
        elif t["outcome"] == "skipped":
            ET.SubElement(case, "skipped", message=t["message"][:500])
            continue
        else:
            continue
        el = ET.SubElement(case, kind, message=(t["message"].splitlines() or [""])[0][:500])
        el.text = t["message"] + ("\n[waived] " + t["waived_by"]["reason"] if t["waived_by"] else "")
    ET.indent(suite)
    return ET.tostring(suite, encoding="utf-8", xml_declaration=True)


def write_reports(run: Any) -> Path:
    out: Path = run.out
    out.mkdir(parents=True, exist_ok=True)
    report = build_report(run)
    (out / REPORT_JSON).write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out / JUNIT_XML).write_bytes(build_junit(report))
    key, label, test_only = load_lab_key(run.lab_key)
    # the page names the signing key (TEST-ONLY banner or the lab key's fingerprint, the manifest's
    # signer.public_key_sm3); it is written before signing, so the signature covers it
    signer = {
        "label": label,
        "test_only": test_only,
        "fingerprint": sm3(bytes.fromhex(key.public_key.hex())).hex(),
    }
    (out / REPORT_HTML).write_text(render_html(report, signer), encoding="utf-8")
    if test_only:
        (out / "lab-key.TEST-ONLY.pub.pem").write_bytes(key.public_key.to_pem())
    sign_directory(out, key, label, test_only)
    return out
