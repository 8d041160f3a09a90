"""Terminal mutants: small vendor drivers, one per module, each cutting one corner.

Each module subclasses the reference driver (conformance_tests/drivers/reference_terminal.py),
replaces the one step a careless or dishonest vendor would get wrong, and runs as its own driver
program (``python -m conformance_tests.mutants.terminal.<module>``). ``MUTANT`` names the
requirements whose tests must catch it.
"""

from __future__ import annotations

import sys
from typing import Any

from ehc.errors import EhcError

from ...errors import ADAPTER_UNKNOWN


def make_mutant(name: str, run: Any) -> Any:
    from ...adapters.terminal import DriverTerminal
    from .. import discover

    table = discover(__name__)
    mutant = table.get(name)
    if mutant is None:
        raise EhcError(ADAPTER_UNKNOWN, f"no terminal mutant {name!r}; known: {', '.join(sorted(table))}")
    terminal = DriverTerminal(run, [sys.executable, "-m", mutant.module])
    terminal.mutant = mutant
    return terminal
