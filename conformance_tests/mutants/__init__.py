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
    "node": ("conformance_tests.mutants.node", "reference"),
    "terminal": ("conformance_tests.mutants.terminal", "reference"),
}


def mutants_of(role: str) -> dict[str, str]:
    """name -> one-line description of every mutant of ``role`` (empty if none or not importable)."""
    entry = MUTANT_MODULES.get(role)
    if entry is None:
        return {}
    try:
        module = importlib.import_module(entry[0])
    except ImportError:
        return {}
    return {name: getattr(cls, "description", "") for name, cls in module.MUTANTS.items()}
