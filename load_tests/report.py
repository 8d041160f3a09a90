"""Write a run's outputs from its raw data: summary.json, requests.csv, timeseries.csv, report.html.

``run.json`` (raw merged histograms, per-second data, metadata) is the source of truth; every
other file is derived from it, so ``ehc load report DIR`` rebuilds them all.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from html import escape
from pathlib import Path
from typing import Any

from ehc.errors import EhcError
from load_tests.analysis import PERCENTILES, summarise
from load_tests.errors import LOAD_NO_RUN_DATA
from load_tests.histogram import LatencyHistogram
from load_tests.recorder import BUCKET_ALPHA, EndpointStats, Recorder
from load_tests.slo import Objective, evaluate, verdict
from load_tests.svg import bar_chart, line_chart

__all__ = ["write_outputs", "read_run", "RUN_FILE"]

RUN_FILE = "run.json"
_PCOLS = [f"p{p:g}".replace(".", "") + "_ms" for p in PERCENTILES]
_SUMMARY_COLS = [
    "count",
    "ok",
    "refused",
    "error",
    "error_ratio",
    "rps",
    "rps_steady",
    *_PCOLS,
    "mean_ms",
    "min_ms",
    "max_ms",
]


def read_run(out_dir: Path) -> dict[str, Any]:
    path = out_dir / RUN_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EhcError(LOAD_NO_RUN_DATA, f"{path}: {exc}") from None


def _num(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return f"{v:.4f}" if isinstance(v, float) else str(v)


def _write_requests_csv(path: Path, summary: dict[str, Any]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["name", *_SUMMARY_COLS])
        for name, fig in summary["endpoints"].items():
            w.writerow([name, *(_num(fig.get(c)) for c in _SUMMARY_COLS)])
        w.writerow(["ALL", *(_num(summary["totals"].get(c)) for c in _SUMMARY_COLS)])


def _per_second(rec: Recorder) -> list[tuple[int, str, EndpointStats]]:
    rows = []
    for sec in sorted(rec.seconds):
        total = EndpointStats(BUCKET_ALPHA)
        for name, st in sorted(rec.seconds[sec].items()):
            rows.append((sec, name, st))
            total.merge(st)
        rows.append((sec, "ALL", total))
    return rows


def _write_timeseries_csv(
    path: Path, rows: list[tuple[int, str, EndpointStats]], t0: float, bucket_s: int
) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "t_s",
                "epoch_s",
                "bucket_s",
                "name",
                "ok",
                "refused",
                "error",
                "p50_ms",
                "p95_ms",
                "p99_ms",
                "max_ms",
            ]
        )
        for sec, name, st in rows:
            q = st.hist.quantiles([0.5, 0.95, 0.99]) if st.hist.count else [math.nan] * 3
            w.writerow(
                [
                    sec - int(t0),
                    sec,
                    bucket_s,
                    name,
                    st.ok,
                    st.refused,
                    st.error,
                    *(_num(v) for v in q),
                    _num(st.hist.max if st.hist.count else None),
                ]
            )


def _histogram_bars(hist: LatencyHistogram, n_bins: int = 48) -> list[tuple[float, float, float]]:
    """Re-bin the fine log buckets into ``n_bins`` log-spaced bars between min and max."""
    if not hist.count:
        return []
    lo, hi = max(hist.min, hist.min_value), max(hist.max, hist.min_value * 1.01)
    if hi <= lo * 1.0001:
        return [(lo / 1.05, hi * 1.05, float(hist.count))]
    edges = [lo * (hi / lo) ** (i / n_bins) for i in range(n_bins + 1)]
    counts = [0.0] * n_bins
    for value, c in hist.cumulative():
        v = min(max(value, lo), hi)
        i = min(int(math.log(v / lo) / math.log(hi / lo) * n_bins), n_bins - 1)
        counts[i] += c
    return [(edges[i], edges[i + 1], counts[i]) for i in range(n_bins)]


def _table(rows: list[list[str]], header: list[str]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _f(v: Any, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return escape(str(v))


def _html(
    summary: dict[str, Any],
    rows: list[tuple[int, str, EndpointStats]],
    total_hist: LatencyHistogram,
    t0: float,
    bucket_s: int = 1,
) -> str:
    all_rows = [(sec - t0, st) for sec, name, st in rows if name == "ALL"]
    lat = {f"p{p}": [] for p in (50, 95, 99)}
    for t, st in all_rows:
        q = st.hist.quantiles([0.5, 0.95, 0.99]) if st.hist.count else [math.nan] * 3
        for key, v in zip(lat, q, strict=True):
            lat[key].append((t, v))
    thr = {
        "ok": [(t, st.ok / bucket_s) for t, st in all_rows],
        "refused as expected": [(t, st.refused / bucket_s) for t, st in all_rows],
        "error": [(t, st.error / bucket_s) for t, st in all_rows],
    }
    charts = [
        line_chart(
            f"Latency over time (all requests, {bucket_s}-s buckets)", lat, "seconds since start", "ms"
        ),
        line_chart("Throughput over time", thr, "seconds since start", "requests / s"),
        bar_chart(
            "Latency distribution (answered requests)",
            _histogram_bars(total_hist),
            "ms (log scale)",
            "requests",
        ),
    ]
    ep_rows = []
    for name, fig in list(summary["endpoints"].items()) + [("ALL", summary["totals"])]:
        ep_rows.append(
            [
                escape(name),
                _f(fig["count"]),
                _f(fig["ok"]),
                _f(fig["refused"]),
                _f(fig["error"]),
                _f(fig["error_ratio"] * 100, 3) + " %",
                _f(fig["rps_steady"], 1),
                *(_f(fig.get(c), 2) for c in _PCOLS),
                _f(fig["max_ms"], 2),
            ]
        )
    slo = summary.get("slo")
    slo_html = "<p>No SLO file given.</p>"
    if slo:
        from load_tests.slo import Check

        checks = [Check(**c) for c in slo["checks"]]
        badge = (
            '<b class="pass">PASSED</b>'
            if slo["passed"]
            else '<b class="fail">BROKEN: ' + escape(", ".join(slo["broken"])) + "</b>"
        )
        slo_html = f"<p>{badge} ({escape(slo.get('file', ''))})</p>" + _table(
            [
                [
                    ("✔" if c.ok else "✘"),
                    escape(c.scope),
                    escape(c.objective),
                    _f(c.limit, 3),
                    _f(c.actual, 3),
                ]
                for c in checks
            ],
            ["", "scope", "objective", "limit", "actual"],
        )
    errors = summary.get("errors") or {}
    err_html = (
        _table([[escape(k), _f(v)] for k, v in list(errors.items())[:30]], ["error", "count"])
        if errors
        else "<p>No errors.</p>"
    )
    refusals = summary.get("refusals") or {}
    ref_html = (
        _table([[escape(k), _f(v)] for k, v in refusals.items()], ["request: node error code", "count"])
        if refusals
        else "<p>No refusals.</p>"
    )
    started = dt.datetime.fromtimestamp(summary["started_at"], dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    params = [
        ["scenario", escape(str(summary["scenario"]))],
        ["target", escape(str(summary["target"]))],
        ["API", escape(str(summary["mode"]))],
        ["users", _f(summary["users"])],
        ["spawn rate", _f(summary["spawn_rate"])],
        ["workers", _f(summary["workers"])],
        ["seed", _f(summary.get("seed"))],
        ["pace (tasks/s per user)", _f(summary.get("pace"))],
        ["think-time scale", _f(summary.get("think_scale"))],
        ["started", started],
        ["wall time", _f(summary["wall_s"], 1) + " s"],
        ["steady part", _f(summary["steady_s"], 0) + " s"],
        ["stopped by", escape(str(summary.get("stopped_by")))],
        ["samples", _f(summary["samples"])],
        ["Locust's own count", _f(summary["locust_cross_check"]["locust_num_requests"])],
        ["actor crashes", _f(summary.get("user_errors", 0))],
    ]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Load run: {escape(str(summary["scenario"]))}</title>
<style>body{{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#222}}
table{{border-collapse:collapse;margin:8px 0 20px}}td,th{{border:1px solid #ddd;padding:3px 8px;text-align:right}}
td:first-child,th:first-child{{text-align:left}}.pass{{color:#2a7d2a}}.fail{{color:#b00}}svg{{display:block;margin:8px 0 18px}}</style>
</head><body>
<h1>Load run: {escape(str(summary["scenario"]))} → {escape(str(summary["target"]))}</h1>
<h2>Service-level objectives</h2>{slo_html}
<h2>Run</h2>{_table(params, ["parameter", "value"])}
<h2>Per request type</h2>
<p>Percentiles come from every sample ({summary["samples"]:,} in all), not Locust's rounded buckets:
{escape(summary["precision"]["note"])}. Throughput is answered requests per second in the steady part.</p>
{_table(ep_rows, ["name", "requests", "ok", "refused as expected", "errors", "error ratio", "rps", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "p99.9 ms", "max ms"])}
<h2>Plots</h2>
{"".join(charts)}
<h2>Refused as expected (invalid, expired, unknown codes)</h2>{ref_html}
<h2>Errors</h2>{err_html}
</body></html>
"""


def write_outputs(out_dir: Path, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """(Re)build every derived file of a run in ``out_dir``; returns the summary."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if data is None:
        data = read_run(out_dir)
    else:
        (out_dir / RUN_FILE).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    summary = summarise(data)
    slo = data.get("slo")
    if slo:
        objectives = [Objective(**o) for o in slo["objectives"]]
        summary["slo"] = verdict(evaluate(objectives, summary)) | {"file": slo.get("file", "")}
    (out_dir / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    rec = Recorder.from_dict(data["recorder"])
    rows = _per_second(rec)
    t0 = summary["started_at"]
    _write_requests_csv(out_dir / "requests.csv", summary)
    _write_timeseries_csv(out_dir / "timeseries.csv", rows, t0, rec.bucket_s)
    total_hist = LatencyHistogram()
    for st in rec.endpoints.values():
        total_hist.merge(st.hist)
    (out_dir / "report.html").write_text(_html(summary, rows, total_hist, t0, rec.bucket_s), encoding="utf-8")
    return summary
