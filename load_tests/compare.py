"""Side-by-side figures of two finished runs (``ehc load compare A B``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from load_tests.analysis import summarise
from load_tests.report import read_run

__all__ = ["compare_runs"]

_FIGURES = ("count", "rps_steady", "p50_ms", "p95_ms", "p99_ms", "error_ratio")


def _ratio(a: float | None, b: float | None) -> float | None:
    return b / a if a and b is not None else None


def compare_runs(baseline: Path, candidate: Path) -> dict[str, Any]:
    """Per request type (and ALL): both runs' figures and candidate/baseline ratios."""
    a, b = summarise(read_run(baseline)), summarise(read_run(candidate))
    warnings = []
    for key in ("scenario", "users", "think_scale", "workers"):
        if a.get(key) != b.get(key):
            warnings.append(f"{key} differs: {a.get(key)} vs {b.get(key)} — not the same setup")
    names = sorted(set(a["endpoints"]) | set(b["endpoints"]))
    rows = []
    for name, fa, fb in [(n, a["endpoints"].get(n, {}), b["endpoints"].get(n, {})) for n in names] + [
        ("ALL", a["totals"], b["totals"])
    ]:
        rows.append(
            {
                "name": name,
                "baseline": {k: fa.get(k) for k in _FIGURES},
                "candidate": {k: fb.get(k) for k in _FIGURES},
                "rps_ratio": _ratio(fa.get("rps_steady"), fb.get("rps_steady")),
                "p99_ratio": _ratio(fa.get("p99_ms"), fb.get("p99_ms")),
            }
        )

    def label(s: dict[str, Any], d: Path) -> str:
        return f"{d}: {s['scenario']} → {s['target']}, {s['users']} users, {s['samples']:,} requests"

    return {
        "baseline": {"dir": str(baseline), "label": label(a, baseline)},
        "candidate": {"dir": str(candidate), "label": label(b, candidate)},
        "warnings": warnings,
        "rows": rows,
    }
