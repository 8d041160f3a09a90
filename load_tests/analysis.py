"""From a run's raw data (``run.json``) to figures: throughput, exact percentiles, outcomes."""

from __future__ import annotations

import math
from typing import Any

from load_tests.histogram import DEFAULT_ALPHA
from load_tests.recorder import EndpointStats, Recorder

__all__ = ["summarise", "endpoint_figures", "steady_window", "PERCENTILES"]

PERCENTILES = (50, 90, 95, 99, 99.9)


def _pkey(p: float) -> str:
    return f"p{p:g}".replace(".", "")  # p50 p90 p95 p99 p999


def steady_window(meta: dict[str, Any]) -> tuple[float, float]:
    """(from, to) epoch seconds of the steady part: all users spawned until the stop."""
    start = float(meta.get("steady_from") or meta.get("started_at") or 0)
    stop = float(meta.get("stopped_at") or start)
    return start, stop


def _full_buckets(start: float, stop: float, width: int) -> range:
    """Starts of the time buckets lying wholly inside [start, stop)."""
    first = math.ceil(start / width) * width
    return range(first, math.floor(stop) - width + 1, width)


def endpoint_figures(
    st: EndpointStats, wall_s: float, steady_count: int | None, steady_s: float
) -> dict[str, Any]:
    answered = st.ok + st.refused
    total = st.total
    h = st.hist
    qs = h.quantiles([p / 100 for p in PERCENTILES]) if h.count else [math.nan] * len(PERCENTILES)
    out: dict[str, Any] = {
        "count": total,
        "ok": st.ok,
        "refused": st.refused,
        "error": st.error,
        "error_ratio": st.error / total if total else 0.0,
        "rps": answered / wall_s if wall_s > 0 else 0.0,
        "rps_steady": (steady_count / steady_s)
        if steady_count is not None and steady_s >= 1
        else (answered / wall_s if wall_s > 0 else 0.0),
        "mean_ms": h.mean if h.count else None,
        "min_ms": h.min if h.count else None,
        "max_ms": h.max if h.count else None,
        "bytes": st.bytes,
    }
    for p, v in zip(PERCENTILES, qs, strict=True):
        out[f"{_pkey(p)}_ms"] = None if math.isnan(v) else v
    return out


def summarise(data: dict[str, Any]) -> dict[str, Any]:
    """The run's ``summary.json`` (without the SLO verdict, added by the caller)."""
    rec = Recorder.from_dict(data["recorder"])
    meta = data.get("meta", {})
    cfg = data.get("config", {})
    started = float(meta.get("started_at") or 0)
    stopped = float(meta.get("stopped_at") or started)
    wall = max(stopped - started, 1e-9)
    s_from, s_to = steady_window(meta)
    seconds = _full_buckets(s_from, s_to, rec.bucket_s)
    steady_s = float(len(seconds) * rec.bucket_s)

    def steady_answered(name: str | None) -> int:
        n = 0
        for sec in seconds:
            for ep, st in rec.seconds.get(sec, {}).items():
                if name is None or ep == name:
                    n += st.ok + st.refused
        return n

    total = EndpointStats()
    for st in rec.endpoints.values():
        total.merge(st)
    endpoints = {
        name: endpoint_figures(st, wall, steady_answered(name), steady_s)
        for name, st in sorted(rec.endpoints.items())
    }
    locust = data.get("locust", {})
    return {
        "scenario": cfg.get("scenario"),
        "target": cfg.get("target_label", cfg.get("target")),
        "mode": cfg.get("mode"),
        "users": cfg.get("users"),
        "spawn_rate": cfg.get("spawn_rate"),
        "duration_s": cfg.get("duration_s"),
        "max_requests": cfg.get("max_requests"),
        "workers": data.get("workers", 0),
        "think_scale": cfg.get("settings", {}).get("think_scale"),
        "pace": cfg.get("settings", {}).get("pace") or 0,
        "seed": cfg.get("settings", {}).get("seed"),
        "started_at": started,
        "stopped_at": stopped,
        "stopped_by": meta.get("stopped_by"),
        "wall_s": wall,
        "steady_s": steady_s,
        "samples": total.total,
        # actor crashes (a kit bug, or a target answering garbage): their tasks recorded nothing
        "user_errors": int(meta.get("user_errors", 0)),
        "user_error_samples": meta.get("user_error_samples", []),
        # distinct residents the actors presented (one Locust process; None with workers)
        "distinct_residents": meta.get("distinct_residents"),
        "precision": {
            "relative_error": DEFAULT_ALPHA,
            "note": "percentiles from every sample (log buckets, ≤0.1 % relative error, numpy 'linear' definition); "
            "latency over answered requests (ok + refused as expected); errors counted separately",
        },
        "locust_cross_check": {
            "locust_num_requests": locust.get("num_requests"),
            "recorded": total.total,
            "matches": locust.get("num_requests") == total.total,
        },
        "totals": endpoint_figures(total, wall, steady_answered(None), steady_s),
        "endpoints": endpoints,
        "errors": dict(sorted(rec.errors.items(), key=lambda kv: -kv[1])),
        "refusals": dict(sorted(rec.refusals.items(), key=lambda kv: -kv[1])),
    }
