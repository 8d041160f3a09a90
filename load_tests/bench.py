"""``ehc load bench``: the target against a trivial echo on the same machine, in interleaved A/B
pairs, with the median ratio and its spread.

On a shared machine one echo run followed by one node run proves little: the machine's load can
change between them. A bench therefore starts both sides ONCE (seeding the target once), then runs
``--pairs`` pairs, alternating the order (echo→target, target→echo, …) so a drift in the machine's
load hits both sides alike, and reports for throughput and p99 the MEDIAN of the per-pair ratios
with their min–max. Each run keeps its own report; ``bench.html`` summarises and links them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from load_tests.orchestrate import Prepared, RunOptions, check, prepare, run_prepared
from load_tests.report import write_bench_page

__all__ = ["bench", "spread", "write_bench_html", "FIGURES"]

FIGURES = ("rps_steady", "p50_ms", "p95_ms", "p99_ms", "error_ratio")


def _ratio(a: float | None, b: float | None) -> float | None:
    return (a / b) if a and b else None


def spread(values: list[float | None]) -> dict[str, Any]:
    """Median and min–max of the per-pair ratios (None when any pair has no figure)."""
    if not values or any(v is None for v in values):
        return {"median": None, "min": None, "max": None, "values": values}
    vals = [float(v) for v in values if v is not None]
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "values": vals}


def _side_opts(opts: RunOptions, target: str, out: Path, pairs: int) -> RunOptions:
    return dataclasses.replace(opts, target=target, out=out, runs_planned=pairs)


def bench(opts: RunOptions, pairs: int, command: str = "") -> dict[str, Any]:
    """Run the bench; writes bench.json and bench.html to ``opts.out``; returns the result.
    Every input is checked before anything is started (EhcError)."""
    out = opts.out
    echo_opts = _side_opts(opts, "echo", out, pairs)
    target_opts = _side_opts(opts, opts.target, out, pairs)
    check(echo_opts)
    check(target_opts)
    out.mkdir(parents=True, exist_ok=True)
    log = (lambda m: None) if opts.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    load_before = os.getloadavg()
    started = time.time()
    warnings: list[str] = []
    with ExitStack() as stack:
        log("phase: starting the echo baseline")
        preps: dict[str, Prepared] = {"echo": prepare(echo_opts, stack)}
        log(f"phase: starting and seeding the target ({opts.population:,} residents)")
        t0 = time.time()
        preps["target"] = prepare(target_opts, stack)
        prepare_s = time.time() - t0
        probe = _probe(preps["target"])
        if probe is not None and probe.capped:
            terminals = len(preps["target"].dataset.get("terminals") or []) or 1
            warnings.append(probe.describe(terminals, opts.users))
            log("WARNING: " + warnings[-1])
        runs: list[dict[str, Any]] = []
        total = 2 * pairs
        for i in range(pairs):
            order = ("echo", "target") if i % 2 == 0 else ("target", "echo")
            pair: dict[str, Any] = {"pair": i + 1, "order": list(order)}
            for side in order:
                done = len(runs) * 2 + (1 if side != order[0] else 0)
                left = (total - done) * opts.duration_s
                side_opts = echo_opts if side == "echo" else target_opts
                side_opts = dataclasses.replace(side_opts, out=out / f"pair-{i + 1}" / side)
                summary = run_prepared(
                    side_opts,
                    preps[side],
                    progress=f"pair {i + 1}/{pairs} {side} (bench ≈{left:.0f} s of runs left)",
                )
                pair[side] = {k: summary["totals"].get(k) for k in FIGURES}
                pair[side]["samples"] = summary["samples"]
                pair[side]["distinct_residents"] = summary.get("distinct_residents")
                pair[side]["report"] = f"pair-{i + 1}/{side}/report.html"
                log(
                    f"  pair {i + 1} {side}: {summary['totals']['rps_steady']:.1f} rps, "
                    f"p99 {summary['totals']['p99_ms'] or 0:.2f} ms, errors {summary['totals']['error']}"
                )
            pair["throughput_ratio"] = _ratio(pair["target"]["rps_steady"], pair["echo"]["rps_steady"])
            pair["p99_ratio"] = _ratio(pair["target"]["p99_ms"], pair["echo"]["p99_ms"])
            runs.append(pair)
        labels = {side: p.label for side, p in preps.items()}
        dataset = preps["target"].dataset
    for side in ("echo", "target"):
        worst = max((r[side]["error_ratio"] or 0.0) for r in runs)
        if worst > 0.01:
            warnings.append(f"{side}: up to {worst * 100:.1f} % errors in a run — its figures are suspect")
    result = {
        "command": command,
        "api": opts.api,
        "scenario": opts.scenario,
        "users": opts.users,
        "duration_s": opts.duration_s,
        "think_scale": opts.think_scale,
        "population": opts.population,
        "pairs": pairs,
        "target": labels["target"],
        "echo": labels["echo"],
        "prepare_target_s": round(prepare_s, 2),
        "seed_seconds": dataset.get("seed_seconds"),
        "throughput_ratio": spread([r["throughput_ratio"] for r in runs]),
        "p99_ratio": spread([r["p99_ratio"] for r in runs]),
        "runs": runs,
        "warnings": warnings,
        "load_average": {"before": list(load_before), "after": list(os.getloadavg())},
        "wall_s": round(time.time() - started, 1),
        "finished": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    (out / "bench.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    write_bench_html(out / "bench.html", result)
    return result


def _probe(prep: Prepared) -> Any:
    """Rate-limit probe of a target the kit did not start (the reference node runs without one)."""
    from load_tests.probe import probe_grpc, probe_tencent

    if prep.kind == "address":
        return probe_grpc(prep.dataset.get("grpc_address") or prep.address, prep.dataset)
    if prep.kind == "url":
        return probe_tencent(prep.address, prep.dataset)
    return None


def _x(v: float | None, digits: int = 3) -> str:
    return "–" if v is None else f"{v:.{digits}f}×"


def headline(result: dict[str, Any]) -> str:
    t, p = result["throughput_ratio"], result["p99_ratio"]
    return (
        f"target/echo over {result['pairs']} pair{'s' if result['pairs'] != 1 else ''}: throughput {_x(t['median'])} "
        f"(spread {_x(t['min'])}–{_x(t['max'])}), p99 {_x(p['median'], 2)} "
        f"(spread {_x(p['min'], 2)}–{_x(p['max'], 2)})"
    )


def write_bench_html(path: Path, r: dict[str, Any]) -> None:
    """One self-contained page (load_tests/templates/bench.html): the ratios first, node and echo
    side by side, charts, every pair with links to its two runs."""
    write_bench_page(path, r)
