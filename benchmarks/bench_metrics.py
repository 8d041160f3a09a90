"""Cost of the node's metrics path per verification: the hand-written exposition (before issue #17)
against prometheus_client (after), measured in one run.

    python benchmarks/bench_metrics.py [--calls 200000] [--rounds 5] [--json]

What a VerifyQr call records: ``ehc_node_requests_total{method,result}``, the
``ehc_node_request_seconds{method}`` histogram and ``ehc_node_verifications_total{medium,result}``
(server.py and services/verification.py). Each implementation does ``--calls`` of those triples;
reported: CPU ns per verification (median of ``--rounds`` interleaved rounds) and the cost of one
/metrics rendering. Implementations:

* ``hand-written``: ``reference_node/observability.py`` as of commit bef5326 (copied below: the
  baseline has to run in the same process and round as the others);
* ``prometheus_client``: ``reference_node.observability.Metrics`` in one process (in-memory values);
* ``prometheus_client multiprocess``: the same in a child process with ``PROMETHEUS_MULTIPROC_DIR``
  set (what each ``ehc node serve --processes N`` worker runs: mmap-file values).
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class HandWritten:
    """reference_node/observability.py Metrics at bef5326 (inc/observe/render, unchanged)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[Any, float] = defaultdict(float)
        self._hist: dict[Any, list[float]] = {}

    def inc(self, name: str, value: float = 1.0, **labels: str) -> None:
        key = (name, tuple(sorted(labels.items())))
        with self._lock:
            self._counters[key] += value

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        key = (name, tuple(sorted(labels.items())))
        with self._lock:
            h = self._hist.get(key)
            if h is None:
                h = self._hist[key] = [0.0] * (len(_BUCKETS) + 2)
            i = bisect.bisect_left(_BUCKETS, seconds)
            h[i] += 1
            h[-1] += seconds

    def render(self) -> str:
        lines: list[str] = []
        with self._lock:
            counters = dict(self._counters)
            hists = {k: list(v) for k, v in self._hist.items()}
        seen: set[str] = set()
        for (name, labels), v in sorted(counters.items()):
            if name not in seen:
                lines.append(f"# TYPE {name} counter")
                seen.add(name)
            lines.append(f"{name}{_labels(labels)} {v:g}")
        for (name, labels), h in sorted(hists.items()):
            if name not in seen:
                lines.append(f"# TYPE {name} histogram")
                seen.add(name)
            cumulative = 0.0
            for bound, count in zip((*_BUCKETS, float("inf")), h[:-1], strict=True):
                cumulative += count
                le = "+Inf" if bound == float("inf") else f"{bound:g}"
                lines.append(f"{name}_bucket{_labels(labels + (('le', le),))} {cumulative:g}")
            lines.append(f"{name}_sum{_labels(labels)} {h[-1]:.6f}")
            lines.append(f"{name}_count{_labels(labels)} {cumulative:g}")
        return "\n".join(lines) + "\n"


def _labels(labels: tuple[tuple[str, str], ...]) -> str:
    if not labels:
        return ""
    inner = ",".join(
        f'{k}="{str(v).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"' for k, v in labels
    )
    return "{" + inner + "}"


def verification_path(m: Any, calls: int) -> float:
    """CPU ns per verification's three metric updates (results vary as in a real run)."""
    results = ("OK", "OK", "OK", "NODE_QR_EXPIRED")
    t0 = time.process_time_ns()
    for i in range(calls):
        result = results[i & 3]
        m.inc("ehc_node_requests_total", method="VerifyQr", result=result)
        m.observe("ehc_node_request_seconds", 0.0004 + (i & 7) * 0.0005, method="VerifyQr")
        m.inc("ehc_node_verifications_total", medium="QR_STATIC", result=result)
    return (time.process_time_ns() - t0) / calls


def render_cost(m: Any, n: int = 200) -> float:
    t0 = time.process_time_ns()
    for _ in range(n):
        m.render()
    return (time.process_time_ns() - t0) / n


def _measure(kind: str, calls: int, rounds: int) -> dict[str, float]:
    if kind == "hand-written":
        m: Any = HandWritten()
    else:
        from reference_node.observability import Metrics

        m = Metrics()
    per_call = [verification_path(m, calls) for _ in range(rounds)]
    return {"ns_per_verification": statistics.median(per_call), "render_us": render_cost(m) / 1000}


def _child(calls: int, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=folder)
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--calls", str(calls), "--rounds", str(rounds)],
            env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = parser.parse_args()
    if a.child:
        print(json.dumps(_measure("prometheus_client", a.calls, a.rounds)))
        return
    # interleave the in-process implementations round by round (the machine is shared)
    hand = HandWritten()
    from reference_node.observability import Metrics

    prom = Metrics()
    samples: dict[str, list[float]] = {"hand-written": [], "prometheus_client": []}
    for _ in range(a.rounds):
        samples["hand-written"].append(verification_path(hand, a.calls))
        samples["prometheus_client"].append(verification_path(prom, a.calls))
    result = {
        "hand-written": {"ns_per_verification": statistics.median(samples["hand-written"]),
                         "render_us": render_cost(hand) / 1000},
        "prometheus_client": {"ns_per_verification": statistics.median(samples["prometheus_client"]),
                              "render_us": render_cost(prom) / 1000},
        "prometheus_client multiprocess": _child(a.calls, a.rounds),
    }  # fmt: skip
    base = result["hand-written"]["ns_per_verification"]
    for row in result.values():
        row["ratio"] = row["ns_per_verification"] / base
    if a.json:
        print(json.dumps({"calls": a.calls, "rounds": a.rounds, "results": result}, indent=2))
        return
    print(f"metrics path per verification ({a.calls} calls x {a.rounds} rounds, CPU time, median)")
    for name, row in result.items():
        print(
            f"  {name:32s} {row['ns_per_verification']:8.0f} ns  x{row['ratio']:.2f}"
            f"   /metrics render {row['render_us']:8.1f} us"
        )


if __name__ == "__main__":
    main()
