"""Readers and the PC/SC path import only downward (ehc, qr_codec, card_emulators): never the node."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import card_emulators

ROOT = Path(card_emulators.__file__).parent
OWN = [
    *sorted((ROOT / "readers").glob("*.py")),
    ROOT / "transports" / "vpcd.py",
    ROOT / "transports" / "pcsc.py",
    ROOT / "pcscd.py",
    ROOT / "cli.py",
]
FORBIDDEN = ("reference_node", "conformance_tests", "load_tests", "fixtures")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_upward_imports_in_source() -> None:
    offenders = {str(p.relative_to(ROOT)): sorted(_imports(p) & set(FORBIDDEN)) for p in OWN}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_importing_the_readers_loads_no_upper_layer() -> None:
    code = (
        "import sys\n"
        "import card_emulators.readers.chipcard, card_emulators.readers.qr_scanner, card_emulators.readers.wedge\n"
        "import card_emulators.readers.idcard, card_emulators.readers.sscard, card_emulators.cli\n"
        "import card_emulators.transports.vpcd, card_emulators.transports.pcsc, card_emulators.pcscd\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
