"""Real, bounded Locust runs through the CLI (each in its own process): echo baseline, distributed
mode, report rebuild, SLO gating, and the reference node end to end."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

IMPOSSIBLE_SLO = """
description = "no real system answers in a nanosecond"
[total]
max_p99_ms = 0.000001
min_samples = 1
"""


def ehc_load(*args: str, timeout: float = 150) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ehc.cli", "load", *args], capture_output=True, text=True, timeout=timeout
    )


def _check_outputs(out: Path) -> dict:
    for name in ("run.json", "summary.json", "requests.csv", "timeseries.csv", "report.html"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    # every request Locust counted is in the exact histograms, and nothing else
    assert summary["locust_cross_check"]["matches"], summary["locust_cross_check"]
    assert summary["samples"] > 0
    assert summary["user_errors"] == 0, summary["user_error_samples"]
    with (out / "timeseries.csv").open() as f:
        rows = [r for r in csv.DictReader(f) if r["name"] == "ALL"]
    assert sum(int(r["ok"]) + int(r["refused"]) + int(r["error"]) for r in rows) == summary["samples"]
    html = (out / "report.html").read_text()
    data = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html, re.S)
    charts = json.loads(data.group(1))["charts"]  # drawn by the inlined Chart.js (tests/browser)
    assert [c["id"] for c in charts] == ["chart-latency", "chart-throughput", "chart-histogram"]
    assert all(f'<canvas id="{c["id"]}"' in html for c in charts)
    # the throughput chart plots the time series: answered per second x bucket = every answer
    per_s = sum(p["y"] for d in charts[1]["datasets"][:2] for p in d["data"])
    assert per_s * int(rows[0]["bucket_s"]) == pytest.approx(
        sum(int(r["ok"]) + int(r["refused"]) for r in rows)
    )
    assert not re.search(r"""(src|href)=["']https?://""", html), "report must be self-contained"
    assert f"{summary['samples']:,}" in html  # the report states the sample count
    return summary


@pytest.fixture(scope="module")
def echo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("echo-run")
    slo = out.parent / "impossible.toml"
    slo.write_text(IMPOSSIBLE_SLO)
    proc = ehc_load(
        "run", "--target", "echo", "--scenario", "outpatient-peak", "--users", "8", "--spawn-rate", "8",
        "--duration", "4s", "--think-scale", "0.05", "--slo", str(slo), "--out", str(out),
        "--set", "mix.card=0",
    )  # fmt: skip
    return proc, out


def test_impossible_slo_fails_the_run_and_names_the_objective(echo_run) -> None:  # type: ignore[no-untyped-def]
    proc, out = echo_run
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "SLO BROKEN: total.max_p99_ms" in proc.stderr
    summary = _check_outputs(out)
    assert summary["slo"]["broken"] == ["total.max_p99_ms"]
    # the node API's calls ran (as echoes), invalid presentations counted as expected refusals
    assert {"VerifyQr", "Report"} <= set(summary["endpoints"])
    assert "VerifyChipCard" not in summary["endpoints"]  # --set mix.card=0 took effect
    assert summary["totals"]["error"] == 0


def test_report_rebuilds_the_same_figures(echo_run) -> None:  # type: ignore[no-untyped-def]
    _, out = echo_run
    before = json.loads((out / "summary.json").read_text())
    (out / "report.html").unlink()
    proc = ehc_load("report", str(out), timeout=60)
    assert proc.returncode == 1  # the stored SLO is judged again, still broken
    after = json.loads((out / "summary.json").read_text())
    assert after["totals"] == before["totals"] and after["endpoints"] == before["endpoints"]
    assert (out / "report.html").is_file()


def test_distributed_run_merges_worker_histograms(tmp_path: Path) -> None:
    slo = tmp_path.parent / "no-timing.toml"  # latency on a shared machine is no test verdict
    slo.write_text("[total]\nmax_error_ratio = 0.0\nmin_samples = 20\n")
    proc = ehc_load(
        "run", "--target", "echo", "--scenario", "outpatient-peak", "--users", "6", "--spawn-rate", "6",
        "--duration", "4s", "--workers", "2", "--think-scale", "0.1", "--slo", str(slo), "--out", str(tmp_path),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = _check_outputs(tmp_path)
    assert summary["workers"] == 2
    assert summary["slo"]["passed"], summary["slo"]


def test_max_requests_stops_the_run_early(tmp_path: Path) -> None:
    proc = ehc_load(
        "run", "--target", "echo", "--scenario", "echo", "--users", "4", "--spawn-rate", "4",
        "--duration", "60s", "--think-scale", "0", "--max-requests", "300", "--out", str(tmp_path),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["stopped_by"] == "max_requests"
    assert summary["samples"] >= 300 and summary["wall_s"] < 30


def test_bad_inputs_exit_2_with_the_kit_code(tmp_path: Path) -> None:
    proc = ehc_load("run", "--target", "not a target", "--out", str(tmp_path), timeout=60)
    assert proc.returncode == 2 and "LOAD_BAD_TARGET" in proc.stderr
    proc = ehc_load("run", "--target", "echo", "--duration", "soon", "--out", str(tmp_path), timeout=60)
    assert proc.returncode == 2 and "LOAD_BAD_DURATION" in proc.stderr
    proc = ehc_load("report", str(tmp_path), timeout=60)
    assert proc.returncode == 2 and "LOAD_NO_RUN_DATA" in proc.stderr
    proc = ehc_load("run", "--target", "echo", "--set", "mix.card", "--out", str(tmp_path), timeout=60)
    assert proc.returncode == 2 and "NAME=NUMBER" in proc.stderr
    bad_slo = tmp_path / "bad.toml"
    bad_slo.write_text("[total]\nmax_p99 = 1\n")
    proc = ehc_load("run", "--target", "echo", "--slo", str(bad_slo), "--out", str(tmp_path), timeout=60)
    assert proc.returncode == 2 and "LOAD_BAD_SLO" in proc.stderr


def test_reference_node_outpatient_peak_end_to_end(tmp_path: Path) -> None:
    proc = ehc_load(
        "run", "--target", "reference", "--scenario", "outpatient-peak", "--users", "8", "--spawn-rate", "8",
        "--duration", "5s", "--think-scale", "0.05", "--population", "120", "--out", str(tmp_path),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = _check_outputs(tmp_path)
    assert summary["mode"] == "node"
    assert summary["totals"]["error"] == 0, summary["errors"]
    assert {"VerifyQr", "Report", "GetQrCode"} <= set(summary["endpoints"])
    # invalid codes were refused by the node with its own error codes, and counted as expected
    assert summary["totals"]["refused"] > 0
    assert all(not k.endswith(": unspecified") for k in summary["refusals"]), summary["refusals"]
    # no resident's ID number leaks into the outputs (a chip card's number is the ID number);
    # the run seeded the deterministic population of seed 1
    from load_tests.population import synthetic_population

    ids = {p.id_number for p in synthetic_population(120, seed=1)}
    for name in ("summary.json", "report.html", "requests.csv", "timeseries.csv", "run.json"):
        text = (tmp_path / name).read_text()
        assert not any(i in text for i in ids), name


def test_rest_gateway_scenario_end_to_end(tmp_path: Path) -> None:
    proc = ehc_load(
        "run", "--target", "reference", "--scenario", "outpatient-rest", "--users", "6", "--spawn-rate", "6",
        "--duration", "3s", "--think-scale", "0.05", "--population", "60", "--out", str(tmp_path),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = _check_outputs(tmp_path)
    assert summary["target"].startswith("reference (http://127.0.0.1:")
    assert summary["totals"]["error"] == 0, summary["errors"]
    assert "POST /v1/verify/qr" in summary["endpoints"]


def test_rest_scenario_refuses_the_echo_target(tmp_path: Path) -> None:
    proc = ehc_load(
        "run", "--target", "echo", "--scenario", "outpatient-rest", "--out", str(tmp_path), timeout=60
    )
    assert proc.returncode == 2 and "LOAD_BAD_TARGET" in proc.stderr


def test_bench_runs_echo_and_target_with_the_same_setup(tmp_path: Path) -> None:
    proc = ehc_load(
        "bench", "--target", "reference", "--scenario", "outpatient-peak", "--users", "6", "--spawn-rate", "6",
        "--duration", "3s", "--think-scale", "0.05", "--population", "60", "--pairs", "1", "--out", str(tmp_path),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bench = json.loads((tmp_path / "bench.json").read_text())
    echo, target = (
        _check_outputs(tmp_path / "pair-1" / "echo"),
        _check_outputs(tmp_path / "pair-1" / "target"),
    )
    assert (echo["mode"], target["mode"]) == ("echo", "node")
    assert echo["users"] == target["users"] == 6 and echo["scenario"] == target["scenario"]
    # the whole mix, GetQrCode by the issuer's app too
    assert target["totals"]["error"] == 0, target["errors"]
    assert bench["throughput_ratio"]["median"] == pytest.approx(
        target["totals"]["rps_steady"] / echo["totals"]["rps_steady"]
    )
    assert "target/echo over 1 pair: throughput" in proc.stdout


def test_external_worker_joins_by_master_address(tmp_path: Path) -> None:
    """The documented multi-machine path: a master waiting for `ehc load worker --master HOST:PORT`."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    master = subprocess.Popen(
        [sys.executable, "-m", "ehc.cli", "load", "run", "--target", "echo", "--scenario", "echo", "--users", "2",
         "--spawn-rate", "2", "--duration", "3s", "--think-scale", "0.05", "--workers", "1", "--external-workers",
         "--master-port", str(port), "--out", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        worker = ehc_load("worker", "--master", f"127.0.0.1:{port}", timeout=120)
        out, err = master.communicate(timeout=120)
    finally:
        master.kill()
    assert master.returncode == 0, out + err
    assert worker.returncode == 0, worker.stderr
    summary = _check_outputs(tmp_path)
    assert summary["workers"] == 1 and summary["endpoints"]["Echo"]["count"] > 0


def test_compare_a_run_with_itself_gives_unit_ratios(echo_run) -> None:  # type: ignore[no-untyped-def]
    _, out = echo_run
    proc = ehc_load("compare", str(out), str(out), "--json", timeout=60)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert not result["warnings"]
    assert [r["name"] for r in result["rows"]][-1] == "ALL"
    for row in result["rows"]:
        assert row["baseline"] == row["candidate"]
        assert row["rps_ratio"] == pytest.approx(1.0)


def test_any_node_by_address_with_an_admin_credential(tmp_path: Path) -> None:
    """The path for other vendors' nodes: HOST:PORT + --client-file (here the reference node,
    started independently in its own process, as a stand-in for a node under test)."""
    from reference_node.testing import start_node

    node = start_node(tmp_path, subprocess=True)
    try:
        out = tmp_path / "out"
        proc = ehc_load(
            "run", "--target", node.target, "--scenario", "outpatient-peak", "--out", str(out), timeout=60
        )
        assert proc.returncode == 2 and "--client-file" in proc.stderr  # no credential: refused, not guessed
        proc = ehc_load(
            "run", "--target", node.target, "--client-file", str(node.client_file), "--scenario", "mixed",
            "--users", "8", "--spawn-rate", "8", "--duration", "3s", "--think-scale", "0.05", "--population", "40",
            "--out", str(out),
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        summary = _check_outputs(out)
        assert summary["target"] == node.target and summary["totals"]["error"] == 0, summary["errors"]
        # the batch feeder's stream (signed over an empty body) got through
        assert summary["endpoints"]["RegisterBatch"]["ok"] > 0
    finally:
        node.stop()
