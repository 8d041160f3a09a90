"""The load pages from synthetic runs (no Locust): Jinja2 autoescaping of what comes from outside,
Chart.js inlined (no network), chart data equal to the figures, errors in red, percentiles stated
with their relative error, and the bench ratios first. Browser rendering: tests/browser."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ehc.web import chart_js
from load_tests.recorder import Recorder
from load_tests.report import ERROR_RED, write_bench_page, write_outputs

HOSTILE = '<script>alert("x")</script>'
T0 = 1_700_000_000.0


def _run_data(errors: int = 2) -> dict[str, Any]:
    rec = Recorder()
    for i in range(300):
        rec.add("VerifyQr", "ok", 1.0 + (i % 7), 10, when=T0 + i / 100)
    for i in range(20):
        rec.add("VerifyQr", "refused", 2.0, 10, when=T0 + 1 + i / 100, code="QR_EXPIRED")
    for _ in range(errors):
        rec.add("Report", "error", 50.0, 0, when=T0 + 2.5, error=HOSTILE)
    return {
        "meta": {"started_at": T0, "steady_from": T0, "stopped_at": T0 + 3, "stopped_by": "duration"},
        "recorder": rec.to_dict(),
        "locust": {"num_requests": 320 + errors, "num_failures": errors},
        "workers": 0,
        "config": {"scenario": HOSTILE, "target": "echo", "target_label": "echo", "mode": "echo", "users": 2},
    }


def _charts(html: str) -> list[dict[str, Any]]:
    found = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html, re.S)
    assert found, "chart data missing"
    return json.loads(found.group(1))["charts"]


def test_run_page_escapes_inlines_chart_js_and_plots_the_figures(tmp_path: Path) -> None:
    summary = write_outputs(tmp_path, _run_data())
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert HOSTILE not in html  # scenario name and error text are escaped
    assert "&lt;script&gt;alert(" in html
    assert chart_js() in html  # the library itself, not a link
    assert not re.search(r"""(src|href)=["']?https?://""", html)
    charts = {c["id"]: c for c in _charts(html)}
    assert set(charts) == {"chart-latency", "chart-throughput", "chart-histogram"}
    thr = {d["label"]: d for d in charts["chart-throughput"]["datasets"]}
    assert thr["errors"]["color"] == ERROR_RED
    assert sum(p["y"] for p in thr["errors"]["data"]) == 2
    assert sum(p["y"] for p in thr["ok"]["data"]) == summary["totals"]["ok"] == 300
    assert sum(charts["chart-histogram"]["datasets"][0]["data"]) == 320  # answered requests only
    assert all(c["title"] for c in charts.values())
    # percentiles stated honestly: the histogram's relative error, not "exact"
    note = re.search(r'id="precision">(.*?)</p>', html, re.S).group(1)
    assert "±0.1 %" in note and "not exact" in note


def _bench(tmp_path: Path) -> dict[str, Any]:
    runs = []
    for i, (node_rps, echo_rps) in enumerate([(100.0, 400.0), (150.0, 300.0), (120.0, 360.0)]):
        pair: dict[str, Any] = {
            "pair": i + 1,
            "order": ["echo", "target"] if i % 2 == 0 else ["target", "echo"],
        }
        for side, rps in (("target", node_rps), ("echo", echo_rps)):
            rel = f"pair-{i + 1}/{side}/report.html"
            (tmp_path / rel).parent.mkdir(parents=True)
            (tmp_path / rel).parent.joinpath("timeseries.csv").write_text(
                "t_s,epoch_s,bucket_s,name,ok,refused,error,p50_ms,p95_ms,p99_ms,max_ms\n"
                f"0,0,1,ALL,{int(rps)},0,{1 if side == 'target' else 0},1,2,3,4\n"
            )
            pair[side] = {
                "rps_steady": rps, "p50_ms": 1.0, "p95_ms": 2.0, "p99_ms": 3.0 if side == "echo" else 6.0,
                "error_ratio": 0.01 if side == "target" else 0.0, "samples": int(rps), "distinct_residents": 5,
                "report": rel,
            }  # fmt: skip
        pair["throughput_ratio"] = node_rps / echo_rps
        pair["p99_ratio"] = 2.0
        runs.append(pair)
    ratios = [r["throughput_ratio"] for r in runs]
    return {
        "command": f"ehc load bench {HOSTILE}", "api": "node", "scenario": "verify-only", "users": 3,
        "duration_s": 1.0, "think_scale": 0.0, "population": 100, "pairs": 3, "target": "reference (x)",
        "echo": "echo (y)", "prepare_target_s": 1.0, "seed_seconds": 0.1,
        "throughput_ratio": {"median": sorted(ratios)[1], "min": min(ratios), "max": max(ratios), "values": ratios},
        "p99_ratio": {"median": 2.0, "min": 2.0, "max": 2.0, "values": [2.0] * 3},
        "runs": runs, "warnings": [], "load_average": {"before": [0.5, 0, 0], "after": [0.7, 0, 0]},
        "wall_s": 9.0, "finished": "2026-12-03 12:00 UTC",
    }  # fmt: skip


def test_bench_page_puts_the_median_ratio_first_and_both_sides_apart(tmp_path: Path) -> None:
    r = _bench(tmp_path)
    write_bench_page(tmp_path / "bench.html", r)
    html = (tmp_path / "bench.html").read_text(encoding="utf-8")
    top = html[: html.index('id="sides"')]
    assert "0.333×" in top and "0.250×–0.500×" in top and "2.00×" in top  # median, min–max
    assert 'id="side-node"' in html and 'id="side-echo"' in html
    assert HOSTILE not in html and chart_js() in html
    charts = {c["id"]: c for c in _charts(html)}
    assert charts["chart-pair-throughput"]["datasets"][0]["data"] == [100.0, 150.0, 120.0]
    assert charts["chart-pair-throughput"]["datasets"][1]["data"] == [400.0, 300.0, 360.0]
    node_time = charts["chart-node-time"]["datasets"]
    assert [d["color"] for d in node_time if "errors" in d["label"]] == [ERROR_RED] * 3
    assert charts["chart-pair-errors"]["datasets"][0]["data"] == pytest.approx([1.0, 1.0, 1.0])
    for run in r["runs"]:
        assert f'href="{run["target"]["report"]}"' in html
