"""Write a run's outputs from its raw data: summary.json, requests.csv, timeseries.csv, report.html.

``run.json`` (raw merged histograms, per-second data, metadata) is the source of truth; every
other file is derived from it, so ``ehc load report DIR`` rebuilds them all.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import statistics
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from ehc.errors import EhcError
from ehc.web import CHART_JS_VERSION, chart_js
from load_tests.analysis import PERCENTILES, summarise
from load_tests.errors import LOAD_NO_RUN_DATA
from load_tests.histogram import DEFAULT_ALPHA, LatencyHistogram
from load_tests.recorder import BUCKET_ALPHA, EndpointStats, Recorder
from load_tests.slo import Objective, evaluate, verdict

__all__ = ["write_outputs", "write_bench_page", "read_run", "RUN_FILE"]

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


ERROR_RED = "#c62828"
NODE_BLUE = "#1f5fbf"
ECHO_GREY = "#8a8a8a"


def _fig(v: Any, digits: int | None = None) -> str:
    """Figures for the page: thousands separators, a fixed number of decimals, "–" when absent."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if digits is None:
        return f"{v:,}" if isinstance(v, int) else f"{v:,.2f}"
    return f"{v:,.{digits}f}"


def _ratio(v: float | None, digits: int = 3) -> str:
    return "–" if v is None else f"{v:.{digits}f}×"


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("load_tests", "templates"),
        autoescape=True,  # scenario names, targets and error texts come from outside the kit
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _fig
    env.filters["ratio"] = _ratio
    return env


def _render(template: str, **view: Any) -> str:
    return (
        _env().get_template(template).render(chart_js=chart_js(), chart_js_version=CHART_JS_VERSION, **view)
    )


def _finite(v: float) -> float | None:
    """JSON for Chart.js: a gap (null) instead of NaN."""
    return None if v is None or math.isnan(v) else round(v, 4)


def _rel_error_pct(alpha: float) -> str:
    return f"±{alpha * 100:g} %"


def _run_charts(
    rows: list[tuple[int, str, EndpointStats]], total_hist: LatencyHistogram, t0: float, bucket_s: int
) -> list[dict[str, Any]]:
    # x = the bucket's start in whole seconds from the start (as timeseries.csv t_s): never below 0
    all_rows = [(sec - int(t0), st) for sec, name, st in rows if name == "ALL"]
    lat: dict[str, list[dict[str, Any]]] = {"p50": [], "p95": [], "p99": []}
    for t, st in all_rows:
        q = st.hist.quantiles([0.5, 0.95, 0.99]) if st.hist.count else [math.nan] * 3
        for key, v in zip(lat, q, strict=True):
            lat[key].append({"x": round(t, 3), "y": _finite(v)})

    def per_s(attr: str) -> list[dict[str, Any]]:
        return [{"x": round(t, 3), "y": getattr(st, attr) / bucket_s} for t, st in all_rows]

    bars = _histogram_bars(total_hist)
    return [
        {
            "id": "chart-latency",
            "type": "line",
            "x": "linear",
            "title": f"延迟随时间 Latency over time (all requests, {bucket_s}-s buckets, "
            f"±{BUCKET_ALPHA * 100:g} % per bucket)",
            "xTitle": "秒 seconds since start",
            "yTitle": "ms",
            "datasets": [
                {"label": "p50", "data": lat["p50"], "color": "#2e8b47"},
                {"label": "p95", "data": lat["p95"], "color": "#e08a00"},
                {"label": "p99", "data": lat["p99"], "color": "#7e57c2"},
            ],
        },
        {
            "id": "chart-throughput",
            "type": "line",
            "x": "linear",
            "title": "吞吐量随时间 Throughput over time",
            "xTitle": "秒 seconds since start",
            "yTitle": "请求/秒 requests / s",
            "datasets": [
                {"label": "ok", "data": per_s("ok"), "color": NODE_BLUE},
                {"label": "refused as expected", "data": per_s("refused"), "color": ECHO_GREY},
                {"label": "errors", "data": per_s("error"), "color": ERROR_RED},
            ],
        },
        {
            "id": "chart-histogram",
            "type": "bar",
            "x": "category",
            "wide": True,
            "title": "延迟分布 Latency distribution (answered requests, log-spaced bins)",
            "xTitle": "ms (bin from–to)",
            "yTitle": "请求数 requests",
            "labels": [f"{lo:.3g}–{hi:.3g}" for lo, hi, _ in bars],
            "datasets": [{"label": "requests", "data": [c for _, _, c in bars], "color": NODE_BLUE}],
        },
    ]


def _html(
    summary: dict[str, Any],
    rows: list[tuple[int, str, EndpointStats]],
    total_hist: LatencyHistogram,
    t0: float,
    bucket_s: int = 1,
) -> str:
    endpoint_rows = []
    for name, fig in list(summary["endpoints"].items()) + [("ALL", summary["totals"])]:
        endpoint_rows.append({**fig, "name": name, "pcts": [fig.get(c) for c in _PCOLS]})
    slo = summary.get("slo")
    started = dt.datetime.fromtimestamp(summary["started_at"], dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    params = [
        ("scenario", summary["scenario"]),
        ("target", summary["target"]),
        ("API", summary["mode"]),
        ("users", _fig(summary["users"])),
        ("spawn rate", _fig(summary["spawn_rate"])),
        ("workers", _fig(summary["workers"])),
        ("seed", _fig(summary.get("seed"))),
        ("pace (tasks/s per user)", _fig(summary.get("pace"))),
        ("think-time scale", _fig(summary.get("think_scale"))),
        ("started", started),
        ("wall time", _fig(summary["wall_s"], 1) + " s"),
        ("steady part", _fig(summary["steady_s"], 0) + " s"),
        ("stopped by", str(summary.get("stopped_by"))),
        ("samples", _fig(summary["samples"])),
        ("Locust's own count", _fig(summary["locust_cross_check"]["locust_num_requests"])),
        ("actor crashes", _fig(summary.get("user_errors", 0))),
    ]
    return _render(
        "run.html",
        s=summary,
        slo=slo,
        params=params,
        endpoint_rows=endpoint_rows,
        rel_error_pct=_rel_error_pct(summary["precision"]["relative_error"]),
        refusals=list((summary.get("refusals") or {}).items()),
        errors=list((summary.get("errors") or {}).items())[:30],
        chart_data={"charts": _run_charts(rows, total_hist, t0, bucket_s)},
    )


def _side_series(out_dir: Path, run: dict[str, Any], side: str) -> dict[str, list[dict[str, Any]]]:
    """Answered and error requests per second of one run, from its timeseries.csv."""
    path = out_dir / Path(run[side]["report"]).parent / "timeseries.csv"
    answered: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    try:
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if row["name"] != "ALL":
                    continue
                t, b = float(row["t_s"]), float(row["bucket_s"]) or 1.0
                answered.append({"x": t, "y": (int(row["ok"]) + int(row["refused"])) / b})
                errors.append({"x": t, "y": int(row["error"]) / b})
    except (OSError, KeyError, ValueError):
        pass  # a run without its time series: the chart shows the pairs that have one
    return {"answered": answered, "errors": errors}


PAIR_COLOURS = ["#1f5fbf", "#2e8b47", "#7e57c2", "#e08a00", "#00838f", "#6d4c41"]


def _bench_charts(out_dir: Path, r: dict[str, Any]) -> list[dict[str, Any]]:
    labels = [f"pair {run['pair']}" for run in r["runs"]]

    def figure(side: str, key: str, scale: float = 1.0) -> list[float | None]:
        return [None if run[side][key] is None else run[side][key] * scale for run in r["runs"]]

    charts: list[dict[str, Any]] = [
        {
            "id": "chart-pair-throughput",
            "type": "bar",
            "x": "category",
            "title": "每对吞吐量 Throughput per pair (rps steady)",
            "xTitle": "pair",
            "yTitle": "请求/秒 requests / s",
            "labels": labels,
            "datasets": [
                {"label": "node", "data": figure("target", "rps_steady"), "color": NODE_BLUE},
                {"label": "echo", "data": figure("echo", "rps_steady"), "color": ECHO_GREY},
            ],
        },
        {
            "id": "chart-pair-p99",
            "type": "bar",
            "x": "category",
            "title": "每对 p99 延迟 p99 latency per pair",
            "xTitle": "pair",
            "yTitle": "ms",
            "labels": labels,
            "datasets": [
                {"label": "node p99", "data": figure("target", "p99_ms"), "color": NODE_BLUE},
                {"label": "echo p99", "data": figure("echo", "p99_ms"), "color": ECHO_GREY},
            ],
        },
    ]
    for side, zh, en in (("target", "节点", "node"), ("echo", "回显基线", "echo")):
        datasets: list[dict[str, Any]] = []
        for i, run in enumerate(r["runs"]):
            series = _side_series(out_dir, run, side)
            colour = PAIR_COLOURS[i % len(PAIR_COLOURS)]
            datasets.append(
                {"label": f"pair {run['pair']} answered", "data": series["answered"], "color": colour}
            )
            datasets.append(
                {
                    "label": f"pair {run['pair']} errors",
                    "data": series["errors"],
                    "color": ERROR_RED,
                    "dash": [4, 3],
                }
            )
        charts.append(
            {
                "id": f"chart-{en}-time",
                "type": "line",
                "x": "linear",
                "title": f"{zh}每秒请求 {en.capitalize()}: requests per second in each run (errors red)",
                "xTitle": "秒 seconds since the run started",
                "yTitle": "请求/秒 requests / s",
                "datasets": datasets,
            }
        )
    any_errors = any((run[side]["error_ratio"] or 0) > 0 for run in r["runs"] for side in ("echo", "target"))
    charts.append(
        {
            "id": "chart-pair-errors",
            "type": "bar",
            "x": "category",
            "wide": True,
            "title": "每对错误率 Error ratio per pair (%)"
            + ("" if any_errors else " — 无错误 no errors in any run"),
            "xTitle": "pair",
            "yTitle": "% errors",
            "labels": labels,
            "datasets": [
                {"label": "node errors", "data": figure("target", "error_ratio", 100), "color": ERROR_RED},
                {"label": "echo errors", "data": figure("echo", "error_ratio", 100), "color": "#ef9a9a"},
            ],
        }
    )
    return charts


def _side_view(r: dict[str, Any], side: str) -> dict[str, Any]:
    def med(key: str) -> float | None:
        vals = [run[side][key] for run in r["runs"] if run[side][key] is not None]
        return statistics.median(vals) if vals else None

    return {
        "key": "node" if side == "target" else "echo",
        "zh": "节点" if side == "target" else "回显基线",
        "en": "node" if side == "target" else "echo",
        "label": r[side],
        **{k: med(k) for k in ("rps_steady", "p50_ms", "p95_ms", "p99_ms")},
        "worst_error": max((run[side]["error_ratio"] or 0.0) for run in r["runs"]) if r["runs"] else 0.0,
        "samples": sum(run[side]["samples"] for run in r["runs"]),
    }


def write_bench_page(path: Path, r: dict[str, Any]) -> None:
    """bench.html: the median ratios first, node and echo side by side, charts, every pair with links
    to its two runs' reports. One self-contained file (Chart.js inlined)."""
    residents = [
        f"pair {x['pair']} {'node' if s == 'target' else 'echo'} {x[s]['distinct_residents'] or 0:,}"
        for x in r["runs"]
        for s in ("echo", "target")
    ]
    html = _render(
        "bench.html",
        r=r,
        sides=[_side_view(r, "target"), _side_view(r, "echo")],
        residents=residents,
        rel_error_pct=_rel_error_pct(DEFAULT_ALPHA),
        chart_data={"charts": _bench_charts(path.parent, r)},
    )
    path.write_text(html, encoding="utf-8")


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
