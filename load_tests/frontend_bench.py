"""``ehc load frontend``: what the hospital front-end server (前置服务器, ``ehc node frontend``,
docs/frontend.md) adds under load (issue #16) — the same scenario against ONE seeded reference node,
once direct and once through a front-end in front of it, in interleaved pairs of the same run.

One node process and one front-end process are started and seeded once. The front-end is enrolled
at the node as a terminal of the first synthetic hospital and gets that hospital's load terminals
(same terminal ids, the front-end's own keys); both sides run with exactly those terminals, so the
only difference is the hop. Pairs alternate the order (direct→relayed, relayed→direct, …) so the
machine's drift hits both sides alike; throughput and p50/p99 ratios (relayed / direct) are the
median of the pairs with their min–max. No rate limit on either (the node's reference default is
off; ``--terminal-rate-limit 0`` on the front-end): this measures the relay, not the limits.

Scenarios: ``verify-only`` (VerifyQr relayed to the node: one more gRPC hop and two HMAC-SM3
signatures) and ``report-only`` (Report acknowledged by the front-end after its own fsync'd commit,
forwarded in the background). The other scenarios call operator or issuer APIs a front-end does not
relay (docs/frontend.md "Limits").
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from ehc.errors import EhcError
from load_tests.bench import FIGURES, spread
from load_tests.errors import LOAD_UNKNOWN_SCENARIO
from load_tests.orchestrate import Prepared, RunOptions, run_prepared

__all__ = ["FRONTEND_SCENARIOS", "frontend_bench", "headline"]

FRONTEND_SCENARIOS = ("verify-only", "report-only")


def _ratio(a: float | None, b: float | None) -> float | None:
    return (a / b) if a and b else None


def _evidence(db: Path, wait_s: float = 30.0) -> dict[str, Any]:
    """What the front-end itself recorded (its relay log and outbox, read-only): the relayed side
    really went through it. Waits until the outbox is forwarded (report-only) and says how long."""
    import sqlite3

    t0 = time.time()
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        while True:
            outbox = dict(con.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall())
            if not outbox.get(0) or time.time() - t0 > wait_s:  # 0 pending, 1 delivered, 2 rejected
                break
            time.sleep(0.1)
        log = con.execute(
            "SELECT method, source, result, COUNT(*) FROM relay_log GROUP BY 1, 2, 3"
        ).fetchall()
    finally:
        con.close()
    return {
        "relay_log": {f"{m} {src} {res}": n for m, src, res, n in log},
        "outbox": {"pending": outbox.get(0, 0), "delivered": outbox.get(1, 0), "rejected": outbox.get(2, 0)},
        "drain_s": round(time.time() - t0, 2),
    }


def _prepare(opts: RunOptions, stack: ExitStack, log: Any) -> tuple[Prepared, Prepared, Path]:
    """Node and front-end started and seeded: (direct, relayed, the front-end's database), the
    same hospital's terminals on both sides."""
    from load_tests.dataset import HOSPITALS
    from load_tests.population import synthetic_population
    from load_tests.seeding import _seed_kwargs, seed_node
    from load_tests.targets import ReferenceNodeProcess
    from reference_node.client import NodeClient
    from reference_node.frontend.auth import enrol_at_node, write_client_file
    from reference_node.frontend.testing import start_frontend_process

    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ehc-load-frontend-")))
    node = stack.enter_context(ReferenceNodeProcess(str(tmp / "node")))
    people = synthetic_population(opts.population, seed=opts.seed, area=opts.area)
    dataset = seed_node(node.address, node.client_file, people, log, **_seed_kwargs(opts))
    org = HOSPITALS[0][0]
    terminals = [t for t in dataset["terminals"] if t["org_code"] == org and t["role"] != "admin"]
    with NodeClient.from_file(node.client_file, "admin", node.address) as admin:
        hospital = enrol_at_node(admin, f"FE-{org}", org, certified=True)
    client_file = write_client_file(tmp / "fe" / "hospital.json", node.address, hospital)
    fe = start_frontend_process(
        tmp / "fe",
        node.address,
        client_file,
        terminals=[t["terminal_id"] for t in terminals],
        extra_args=["--terminal-rate-limit", "0", "--log-level", "WARNING"],
    )
    stack.callback(fe.stop)
    relayed_terminals = [
        {**t, "secret_hex": fe.credentials(t["terminal_id"]).secret.hex()} for t in terminals
    ]
    direct = Prepared(
        node.address,
        {**dataset, "terminals": terminals},
        f"reference ({node.address}) direct",
        "node",
        "reference",
    )
    relayed = Prepared(
        fe.target,
        {**dataset, "terminals": relayed_terminals},
        f"front-end ({fe.target}) → reference ({node.address})",
        "node",
        "reference",
    )
    return direct, relayed, fe.data_dir / "frontend.db"


def frontend_bench(opts: RunOptions, pairs: int, command: str = "") -> dict[str, Any]:
    """Run it; writes frontend.json to ``opts.out`` and returns the result (EhcError before any
    start on a scenario the front-end cannot carry)."""
    if opts.scenario not in FRONTEND_SCENARIOS:
        raise EhcError(
            LOAD_UNKNOWN_SCENARIO,
            f"scenario {opts.scenario!r} cannot run through a front-end; use {' or '.join(FRONTEND_SCENARIOS)}",
        )
    out = opts.out
    out.mkdir(parents=True, exist_ok=True)
    log = (lambda m: None) if opts.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    side_opts = dataclasses.replace(opts, target="reference", runs_planned=pairs)
    load_before = os.getloadavg()
    started = time.time()
    runs: list[dict[str, Any]] = []
    with ExitStack() as stack:
        log(f"phase: starting the node and the front-end, seeding {opts.population:,} residents")
        direct, relayed, fe_db = _prepare(side_opts, stack, log)
        preps = {"direct": direct, "relayed": relayed}
        for i in range(pairs):
            order = ("direct", "relayed") if i % 2 == 0 else ("relayed", "direct")
            pair: dict[str, Any] = {"pair": i + 1, "order": list(order)}
            for side in order:
                run_opts = dataclasses.replace(side_opts, out=out / f"pair-{i + 1}" / side)
                summary = run_prepared(run_opts, preps[side], progress=f"pair {i + 1}/{pairs} {side}")
                pair[side] = {k: summary["totals"].get(k) for k in FIGURES}
                pair[side]["samples"] = summary["samples"]
                pair[side]["report"] = f"pair-{i + 1}/{side}/report.html"
                log(
                    f"  pair {i + 1} {side}: {summary['totals']['rps_steady']:.1f} rps, "
                    f"p50 {summary['totals']['p50_ms'] or 0:.2f} ms, p99 {summary['totals']['p99_ms'] or 0:.2f} ms, "
                    f"errors {summary['totals']['error']}"
                )
            for figure, key in (
                ("throughput_ratio", "rps_steady"),
                ("p50_ratio", "p50_ms"),
                ("p99_ratio", "p99_ms"),
            ):
                pair[figure] = _ratio(pair["relayed"][key], pair["direct"][key])
            runs.append(pair)
        labels = {side: p.label for side, p in preps.items()}
        evidence = _evidence(fe_db)
    warnings = [
        f"{side}: up to {worst * 100:.1f} % errors in a run — its figures are suspect"
        for side in ("direct", "relayed")
        if (worst := max((r[side]["error_ratio"] or 0.0) for r in runs)) > 0.01
    ]
    result = {
        "command": command,
        "scenario": opts.scenario,
        "users": opts.users,
        "duration_s": opts.duration_s,
        "think_scale": opts.think_scale,
        "population": opts.population,
        "pairs": pairs,
        "direct": labels["direct"],
        "relayed": labels["relayed"],
        "throughput_ratio": spread([r["throughput_ratio"] for r in runs]),
        "p50_ratio": spread([r["p50_ratio"] for r in runs]),
        "p99_ratio": spread([r["p99_ratio"] for r in runs]),
        "runs": runs,
        "frontend": evidence,
        "warnings": warnings,
        "load_average": {"before": list(load_before), "after": list(os.getloadavg())},
        "wall_s": round(time.time() - started, 1),
    }
    (out / "frontend.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


def headline(result: dict[str, Any]) -> str:
    def fig(name: str) -> str:
        s = result[name]
        if s["median"] is None:
            return "n/a"
        return f"{s['median']:.2f}× ({s['min']:.2f}–{s['max']:.2f})"

    return (
        f"{result['scenario']} through the front-end vs direct, {result['pairs']} pairs of "
        f"{result['duration_s']:g} s, {result['users']} users: throughput {fig('throughput_ratio')}, "
        f"p50 {fig('p50_ratio')}, p99 {fig('p99_ratio')} (relayed / direct; 1.00 = the relay adds nothing)"
    )
