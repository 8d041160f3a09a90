"""Mutants: deliberately broken variants of the reference implementations.

``ehc certify selftest`` runs each role's suite against the reference (it must pass) and against
every mutant of the role. A mutant is *killed* only when at least one of the requirements it names
in ``catches`` fails: a mutant that fails some other requirement was caught by accident, and counts
as a miss (the suite for its defect class is not proven).

A role's mutants live either in a package ``conformance_tests/mutants/<role>/`` with one small module
per mutant (each module defines ``MUTANT``, a class or object with ``mutant_name``, ``description``,
``catches`` and optionally ``profile``), or in a module with a ``MUTANTS`` dict (name -> class, or
name -> (description, profile, catches)).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any

#: role -> (module or package with the role's mutants, the --ehc-dut spec of the role's reference)
MUTANT_MODULES: dict[str, tuple[str, str]] = {
    "codec": ("conformance_tests.mutants.codec", "reference"),
    "card": ("conformance_tests.mutants.card", "emulated"),
    "psam": ("conformance_tests.mutants.psam", "emulated"),
    "node": ("conformance_tests.mutants.node", "reference"),
    "terminal": ("conformance_tests.mutants.terminal", "reference"),
    "his": ("conformance_tests.mutants.his", "reference"),
    "node-tencent": ("conformance_tests.mutants.tencent", "reference"),
    "node-qinghai": ("conformance_tests.mutants.qinghai", "reference"),
    "node-sichuan": ("conformance_tests.mutants.sichuan", "reference"),
}


@dataclass(frozen=True)
class MutantInfo:
    name: str
    description: str
    profile: str
    catches: tuple[str, ...]  # requirement ids of the defect class; one of them must fail
    defect_class: str = ""  # the class of defect it stands for (docs/certification.md table)


def discover(package: str) -> dict[str, Any]:
    """name -> the ``MUTANT`` object of every submodule of ``package`` (one mutant per module)."""
    pkg = importlib.import_module(package)
    out: dict[str, Any] = {}
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        mutant = getattr(module, "MUTANT", None)
        if mutant is not None:
            out[mutant.mutant_name] = mutant
    return out


def mutant_objects(role: str) -> dict[str, Any]:
    """name -> mutant class/object (or legacy tuple) of ``role``."""
    entry = MUTANT_MODULES.get(role)
    if entry is None:
        return {}
    module = importlib.import_module(entry[0])
    table = getattr(module, "MUTANTS", None)
    if table is None and hasattr(module, "__path__"):
        table = discover(entry[0])
    return dict(table or {})


def mutants_of(role: str) -> dict[str, MutantInfo]:
    """name -> description, profile and the requirements that must catch it, for every mutant."""
    out: dict[str, MutantInfo] = {}
    for name, value in mutant_objects(role).items():
        if isinstance(value, tuple):
            description, profile, *rest = value
            catches = tuple(rest[0]) if rest else ()
            out[name] = MutantInfo(name, description, profile, catches)
        else:
            out[name] = MutantInfo(
                name,
                getattr(value, "description", ""),
                getattr(value, "profile", "national"),
                tuple(getattr(value, "catches", ())),
                getattr(value, "defect_class", ""),
            )
    return out
