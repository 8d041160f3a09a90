"""Mutants of the PSAM role, one module each: a third-party PSAM (terminal security module) whose
vendor cut corners on key diversification, MAC input, PIN and session lifetime, or the SM2 service.
Each wraps the kit's reference PSAM behind the card adapter and changes only what that vendor got wrong."""

from __future__ import annotations

from typing import Any

from ehc.errors import EhcError

from ...errors import ADAPTER_UNKNOWN
from .. import discover


def make_mutant(name: str, run: Any) -> Any:
    """The suite's adapter for PSAM mutant ``name``."""
    mutants = discover(__name__)
    cls = mutants.get(name)
    if cls is None:
        raise EhcError(ADAPTER_UNKNOWN, f"no PSAM mutant {name!r}; known: {', '.join(mutants)}")
    return cls(run)
