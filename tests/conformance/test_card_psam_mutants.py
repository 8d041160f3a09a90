"""Card and PSAM mutants: at least ten each, one small module per mutant, each naming the
requirements of its defect class, and each KILLED by one of those (not by an accident elsewhere)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

from conformance_tests.catalogue import default_catalogue
from conformance_tests.mutants import mutants_of
from conformance_tests.selftest import selftest


@pytest.mark.parametrize("role", ["card", "psam"])
def test_each_mutant_is_its_own_module_with_a_class_and_requirements(role):
    package = importlib.import_module(f"conformance_tests.mutants.{role}")
    modules = [m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_")]
    assert len(modules) >= 10 and not hasattr(package, "MUTANTS")
    catalogue = default_catalogue()
    mutants = mutants_of(role)
    assert len(mutants) == len(modules), "a module without MUTANT, or two modules with one name"
    for name, info in mutants.items():
        assert info.catches and info.defect_class and info.description, name
        for requirement in info.catches:
            assert role in catalogue[requirement].roles, f"{name}: {requirement} is not a {role} requirement"


def test_selftest_kills_every_card_and_psam_mutant_by_its_class():
    report = selftest(["card", "psam"], max_examples=5, echo=None)
    for role in ("card", "psam"):
        assert report["roles"][role]["reference"]["passed"], role
        for name, mutant in report["roles"][role]["mutants"].items():
            assert mutant["killed"] and set(mutant["caught_by"]) <= set(mutant["catches"]), (
                role,
                name,
                mutant,
            )
    assert report["ok"]
