"""`ehc demo` end to end (the installed CLI in a subprocess): a day of visits on a fresh node, then
that node's certification. The expected numbers come from the demo's day plan, not from a run."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from conformance_tests.demo import DAY_PLAN, FRONTEND_VISIT, STAGES, STEP_NAMES
from conformance_tests.reportsign import verify_directory

SEED = 3
PEOPLE = 60


def _demo(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ehc.cli", "demo", "--out", str(out), "--seed", str(SEED), *extra],
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def json_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("demo-json") / "ehc-demo"
    return out, _demo(out, "--count", str(PEOPLE), "--json")


def test_the_day_plan_covers_every_step_and_medium():
    steps = {s for v in DAY_PLAN for s in v.steps}
    assert steps == set(STEP_NAMES), set(STEP_NAMES) - steps
    assert {v.medium for v in DAY_PLAN} == {"ehc-qr-dynamic", "ehc-qr-static", "resident-card", "id-card"}
    assert any(v.who == "poverty" and "inpatient" in v.steps for v in DAY_PLAN)
    assert any(v.who == "newborn" for v in DAY_PLAN)


def test_demo_summary_matches_the_day_plan(json_run):
    out, done = json_run
    assert done.returncode == 0, done.stdout[-1500:] + done.stderr[-1500:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["ok"] is True
    assert summary["registered"] == PEOPLE == summary["cards"]["ecard"]
    assert summary["cards"]["chip"] == sum(1 for v in DAY_PLAN if v.medium == "resident-card")
    assert summary["visits"] == len(DAY_PLAN)
    planned = Counter(step for v in DAY_PLAN for step in v.steps)
    assert summary["steps"] == dict(planned)
    # the node also holds one registration visit made through the Tencent envelope (an e-card code)
    assert summary["tencent_visit"]["result_codes"] == [0, 0, 0, 0]
    planned["registration"] += 1
    # and one visit through the front-end server, forwarded to the node before the usage stage
    assert (
        summary["frontend_visit"]["acknowledged"]
        == summary["frontend_visit"]["at_node"]
        == len(FRONTEND_VISIT)
    )
    planned.update(FRONTEND_VISIT)
    # what the node's store holds, step by step, is what the day did
    assert summary["usage_by_step"] == dict(planned)
    assert summary["usage_reports"] == sum(planned.values())
    by_medium = Counter()
    for v in DAY_PLAN:
        by_medium["ehc-qr" if v.medium.startswith("ehc-qr") else v.medium] += len(v.steps)
    by_medium["ehc-qr"] += 1 + len(FRONTEND_VISIT)  # the Tencent and front-end visits (e-card codes)
    assert summary["usage_by_medium"] == dict(by_medium)  # chip-card steps reported as chip (10)
    assert summary["verifications"]["refused"] == {"QR_EXPIRED": 1, "NODE_CARD_SUSPENDED": 1}
    # the paid consulting-room visit(s) of the plan, on the node's ledger, reconciled at day end
    billed = [v.bill for v in DAY_PLAN if v.bill]
    assert billed and summary["payment"]["payments"] == len(billed)
    assert summary["payment"]["cents"] == sum(b[0] for b in billed) and summary["payment"]["mismatches"] == 0
    # every window identification plus every HIS identification of a multi-step visit
    assert summary["verifications"]["ok"] == len(DAY_PLAN) + sum(1 for v in DAY_PLAN if len(v.steps) > 1)
    # KPI engine: a visit opens at 挂号; the day's 体检-only visits are not visits
    opened = [v for v in DAY_PLAN if v.steps[0] == "registration"]
    # (the Tencent visit is adult:1's second e-card registration that day: one visit per card and day)
    assert summary["kpi"] == {
        "visits": len(opened),
        "ecard_visits": sum(1 for v in opened if v.medium.startswith("ehc-qr")),
    }


def test_demo_certifies_its_own_node_with_a_report_that_verifies(json_run):
    out, done = json_run
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    cert = summary["certification"]
    assert cert["verdict"] == "PASS" and cert["exit"] == 0 and cert["tests"]["failed"] == 0
    assert cert["tests"]["passed"] > 0 and cert["signature_ok"] is True
    report_dir = out / "node-report"
    assert Path(cert["report"]) == (report_dir / "report.html").resolve()
    assert verify_directory(report_dir).ok  # checked again here, independently of the demo
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    assert (report["role"], report["mode"], report["verdict"]) == ("node", "certification", "pass")
    assert report["dut"]  # the demo's node over its client file, not the in-process reference
    assert "remote" in json.dumps(report["dut"])


def test_demo_prints_one_line_per_stage_and_a_summary(tmp_path, json_run):
    # under Jining's profile: a new dynamic code is refused while one is valid (the day shows the
    # code the resident holds), and the node is certified as a Jining node (certified terminals only,
    # hospital-card dates) after the lab registers the suite's terminals (conformance_tests/labcert.py)
    done = _demo(tmp_path / "text", "--count", str(PEOPLE), "--profile", "shandong-jining")
    assert done.returncode == 0, done.stdout[-1500:] + done.stderr[-1500:]
    lines = done.stdout.splitlines()
    stage_lines = [line for line in lines if line.startswith("  ✓ ")]
    stages = list(STAGES)
    longest_first = sorted(stages, key=len, reverse=True)  # "certify node" before "node"
    assert [next((s for s in longest_first if f" {s} " in line), line) for line in stage_lines] == stages
    assert not [line for line in lines if line.startswith("  ✗ ")]
    assert "认证 certify node" in done.stdout and "PASS" in done.stdout
    assert str((tmp_path / "text" / "node-report" / "report.html").resolve()) in done.stdout
    assert lines[-1].startswith("demo OK in ")
    # same seed, same population: the JSON run wrote the same file
    json_out, _ = json_run
    same = (tmp_path / "text" / "population.jsonl").read_bytes()
    assert same == (json_out / "population.jsonl").read_bytes()


def test_unwritable_out_fails_with_an_error_code(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    done = _demo(blocker / "demo")
    assert done.returncode == 1
    assert "✗ 准备 prepare" in done.stdout and "DEMO_STAGE_FAILED" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_a_failing_stage_stops_the_demo_with_a_non_zero_exit(tmp_path):
    done = _demo(tmp_path / "demo", "--count", str(PEOPLE), "--fail-stage", "day of visits", "--json")
    assert done.returncode == 1
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["ok"] is False and summary["error"]["code"] == "DEMO_STAGE_FAILED"
    assert "certification" not in summary  # later stages did not run
    assert not (tmp_path / "demo" / "node-report").exists()
