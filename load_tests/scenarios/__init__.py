"""Scenarios: a named mix of actors. Each module defines ``USER_CLASSES`` and a docstring saying
what it models and why; ``SCENARIOS`` maps the CLI name to the module."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from ehc.errors import EhcError
from load_tests.errors import LOAD_UNKNOWN_SCENARIO

__all__ = ["SCENARIOS", "load_scenario", "all_user_classes", "describe"]

SCENARIOS: dict[str, str] = {
    "outpatient-peak": "load_tests.scenarios.outpatient_peak",
    "issuance-campaign": "load_tests.scenarios.issuance_campaign",
    "hospital-day": "load_tests.scenarios.hospital_day",
    "mixed": "load_tests.scenarios.mixed",
    "echo": "load_tests.scenarios.echo",
}


def load_scenario(name: str) -> ModuleType:
    if name not in SCENARIOS:
        raise EhcError(LOAD_UNKNOWN_SCENARIO, f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    return importlib.import_module(SCENARIOS[name])


def all_user_classes() -> list[Any]:
    """Every scenario's user classes (a worker must know any class its master may dispatch)."""
    seen: dict[str, Any] = {}
    for name in SCENARIOS:
        for cls in load_scenario(name).USER_CLASSES:
            seen[cls.__name__] = cls
    return list(seen.values())


def describe(name: str) -> str:
    doc = (load_scenario(name).__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""
