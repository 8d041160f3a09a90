"""Mutants: deliberately broken variants of the reference implementations.

``ehc certify selftest`` runs each role's suite against the reference (it must pass) and against
every mutant of the role (each must fail at least one requirement): the mutation score shows that
the suites catch the mistakes real implementations make.
"""

from __future__ import annotations

import importlib

#: role -> (module with a MUTANTS dict, the --ehc-dut spec of the role's reference)
MUTANT_MODULES: dict[str, tuple[str, str]] = {
    "codec": ("conformance_tests.mutants.codec", "reference"),
    "card": ("conformance_tests.mutants.card", "emulated"),
    "psam": ("conformance_tests.mutants.psam", "emulated"),
    "node": ("conformance_tests.mutants.node", "reference"),
    "terminal": ("conformance_tests.mutants.terminal", "reference"),
    "his": ("conformance_tests.mutants.his", "reference"),
}


def mutants_of(role: str) -> dict[str, tuple[str, str]]:
    """name -> (one-line description, profile to run it under) of every mutant of ``role``."""
    entry = MUTANT_MODULES.get(role)
    if entry is None:
        return {}
    try:
        module = importlib.import_module(entry[0])
    except ImportError:
        return {}
    out: dict[str, tuple[str, str]] = {}
    for name, value in module.MUTANTS.items():
        if isinstance(value, tuple):
            out[name] = value
        else:
            out[name] = (getattr(value, "description", ""), getattr(value, "profile", "national"))
    return out
