"""Service-level objectives: a TOML file per scenario, evaluated against a run's summary.

Format (all keys optional; ``[total]`` applies to the whole run, ``[endpoints.<Name>]`` to one
request name such as ``VerifyQr``)::

    description = "why these numbers"
    [total]
    min_rps = 150            # answered requests per second in the steady part (ok + refused)
    max_p95_ms = 80.0
    max_p99_ms = 200.0
    max_error_ratio = 0.001  # errors / all requests; expected refusals are NOT errors
    min_samples = 100        # guard against a run too short to judge
    [endpoints.VerifyQr]
    max_p99_ms = 150.0

Any broken objective makes ``ehc load run`` exit 1 and print which.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ehc.errors import EhcError
from load_tests.errors import LOAD_BAD_SLO

__all__ = ["Objective", "Check", "load_slo", "evaluate", "OBJECTIVES"]

# objective key -> (summary figure, comparison)
OBJECTIVES: dict[str, tuple[str, str]] = {
    "min_rps": ("rps_steady", ">="),
    "max_p50_ms": ("p50_ms", "<="),
    "max_p90_ms": ("p90_ms", "<="),
    "max_p95_ms": ("p95_ms", "<="),
    "max_p99_ms": ("p99_ms", "<="),
    "max_p999_ms": ("p999_ms", "<="),
    "max_mean_ms": ("mean_ms", "<="),
    "max_error_ratio": ("error_ratio", "<="),
    "min_samples": ("count", ">="),
}


@dataclass(frozen=True)
class Objective:
    scope: str  # "total" or an endpoint name
    key: str
    limit: float


@dataclass(frozen=True)
class Check:
    scope: str
    objective: str
    limit: float
    actual: float | None
    ok: bool

    def describe(self) -> str:
        op = OBJECTIVES[self.objective][1]
        actual = "no samples" if self.actual is None else f"{self.actual:.4g}"
        verdict = "ok" if self.ok else "BROKEN"
        return f"{verdict:6s} {self.scope}.{self.objective}: {actual} (must be {op} {self.limit:g})"


def _objectives(scope: str, table: Any, source: str) -> list[Objective]:
    if not isinstance(table, dict):
        raise EhcError(LOAD_BAD_SLO, f"{source}: [{scope}] must be a table")
    out = []
    for key, value in table.items():
        if key not in OBJECTIVES:
            raise EhcError(
                LOAD_BAD_SLO,
                f"{source}: unknown objective {key!r} in [{scope}]; known: {', '.join(OBJECTIVES)}",
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise EhcError(LOAD_BAD_SLO, f"{source}: {scope}.{key} must be a non-negative number")
        out.append(Objective(scope, key, float(value)))
    return out


def parse_slo(text: str, source: str = "<slo>") -> list[Objective]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise EhcError(LOAD_BAD_SLO, f"{source}: {exc}") from None
    unknown = set(doc) - {"description", "total", "endpoints", "load"}
    if unknown:
        raise EhcError(LOAD_BAD_SLO, f"{source}: unknown section(s) {sorted(unknown)}")
    objectives = _objectives("total", doc.get("total", {}), source)
    endpoints = doc.get("endpoints", {})
    if not isinstance(endpoints, dict):
        raise EhcError(LOAD_BAD_SLO, f"{source}: [endpoints] must hold tables")
    for name, table in endpoints.items():
        objectives += _objectives(name, table, source)
    if not objectives:
        raise EhcError(LOAD_BAD_SLO, f"{source}: no objectives")
    return objectives


def load_slo(path: str | Path) -> list[Objective]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise EhcError(LOAD_BAD_SLO, f"cannot read {p}: {exc.strerror}") from None
    return parse_slo(text, str(p))


def evaluate(objectives: list[Objective], summary: dict[str, Any]) -> list[Check]:
    checks = []
    for o in objectives:
        figures = summary["totals"] if o.scope == "total" else summary["endpoints"].get(o.scope)
        field, op = OBJECTIVES[o.key]
        actual = None if figures is None else figures.get(field)
        # an objective about something that never happened cannot be met
        ok = actual is not None and (actual >= o.limit if op == ">=" else actual <= o.limit)
        checks.append(Check(o.scope, o.key, o.limit, actual, ok))
    return checks


def verdict(checks: list[Check]) -> dict[str, Any]:
    return {
        "passed": all(c.ok for c in checks),
        "checks": [asdict(c) for c in checks],
        "broken": [f"{c.scope}.{c.objective}" for c in checks if not c.ok],
    }
