"""Imports point one way (docs/architecture.md): a package may import only the layers below it.

Checked statically over every module, so a violation fails here before it becomes a cycle.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package -> the kit packages it may import (besides itself). ehc.cli composes subcommands by
# name through importlib, so ehc itself statically imports nothing else of the kit.
ALLOWED: dict[str, set[str]] = {
    "ehc": set(),
    "fixtures": {"ehc"},
    "qr_codec": {"ehc"},
    "card_emulators": {"ehc", "qr_codec"},
    "reference_node": {"ehc", "fixtures", "qr_codec", "card_emulators"},
    "conformance_tests": {"ehc", "fixtures", "qr_codec", "card_emulators", "reference_node"},
    "load_tests": {"ehc", "fixtures", "qr_codec", "reference_node"},
}


def kit_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(n.split(".")[0] for n in names if n.split(".")[0] in ALLOWED)
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_lower_layers(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no modules found for {package}"
    violations = {
        str(f.relative_to(ROOT)): sorted(bad)
        for f in files
        if (bad := kit_imports(f) - ALLOWED[package] - {package})
    }
    assert not violations, f"{package} imports layers above it: {violations}"


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "m.py"
    bad.write_text("from reference_node.client import NodeClient\nimport qr_codec.text\n")
    assert kit_imports(bad) == {"reference_node", "qr_codec"}
