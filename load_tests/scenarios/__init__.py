"""Scenarios: a named mix of actors. Each module defines ``USER_CLASSES`` and a docstring saying
what it models and why; ``SCENARIOS`` maps the CLI name to the module.

Only the Locust process imports a scenario module (they import Locust, which monkey-patches the
standard library for gevent); the CLI checks names and prints descriptions from this table.
"""

from __future__ import annotations

import importlib
from types import ModuleType, SimpleNamespace
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
    "outpatient-rest": "load_tests.scenarios.outpatient_rest",
    "verify-only": "load_tests.scenarios.verify_only",
    "report-only": "load_tests.scenarios.report_only",
}
#: scenarios available over the Tencent envelope (``--api tencent``): internal name "tencent:<name>"
TENCENT_SCENARIOS = ("verify-only", "report-only", "outpatient-peak")
TENCENT_PREFIX = "tencent:"
HTTP_SCENARIOS = frozenset({"outpatient-rest"})  # drive the REST gateway (need an HTTP target)
DESCRIPTIONS: dict[str, str] = {
    "outpatient-peak": "outpatient morning peak: windows, kiosks, doctors verifying codes and cards (6 % invalid)",
    "issuance-campaign": "county registration drive: batch pre-generation + online + window sign-up",
    "hospital-day": "whole patient journeys: verify and report at every step 挂号 … 住院 / 体检",
    "mixed": "an ordinary weekday: all actors at realistic ratios",
    "echo": "raw gRPC echo round trips: the load generator's own ceiling",
    "outpatient-rest": "outpatient peak through the REST gateway (FastHttpUser, signed JSON)",
    "verify-only": "read path only: VerifyQr of static and dynamic codes drawn uniformly from the population",
    "report-only": "write path only: usage reports of residents drawn uniformly from the population",
}


def check_name(name: str) -> str:
    if name.startswith(TENCENT_PREFIX):
        if name[len(TENCENT_PREFIX) :] not in TENCENT_SCENARIOS:
            raise EhcError(
                LOAD_UNKNOWN_SCENARIO,
                f"scenario {name[len(TENCENT_PREFIX) :]!r} is not available with --api tencent; "
                f"use one of {', '.join(TENCENT_SCENARIOS)}",
            )
        return name
    if name not in SCENARIOS:
        raise EhcError(LOAD_UNKNOWN_SCENARIO, f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    return name


def load_scenario(name: str) -> ModuleType | SimpleNamespace:
    if check_name(name).startswith(TENCENT_PREFIX):
        module = importlib.import_module("load_tests.scenarios.tencent")
        return SimpleNamespace(USER_CLASSES=module.BY_SCENARIO[name[len(TENCENT_PREFIX) :]])
    return importlib.import_module(SCENARIOS[name])


def all_user_classes() -> list[Any]:
    """Every scenario's user classes (a worker must know any class its master may dispatch)."""
    seen: dict[str, Any] = {}
    for name in [*SCENARIOS, *(TENCENT_PREFIX + n for n in TENCENT_SCENARIOS)]:
        for cls in load_scenario(name).USER_CLASSES:
            seen[cls.__name__] = cls
    return list(seen.values())


def describe(name: str) -> str:
    return DESCRIPTIONS[check_name(name)]
