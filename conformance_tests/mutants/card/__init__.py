"""Mutants of the card role, one module each: a third-party card OS written from the WS/T 543
digest by a vendor who cut corners (an access check forgotten on one addressing path, a counter
re-initialised at power-up, a status word from the wrong family). Each wraps the kit's reference
card (``card_emulators``) and changes only what that vendor got wrong."""

from __future__ import annotations

from typing import Any

from ehc.errors import EhcError

from ...errors import ADAPTER_UNKNOWN
from .. import discover


def make_mutant(name: str, run: Any) -> Any:
    """The suite's adapter for card mutant ``name``."""
    mutants = discover(__name__)
    cls = mutants.get(name)
    if cls is None:
        raise EhcError(ADAPTER_UNKNOWN, f"no card mutant {name!r}; known: {', '.join(mutants)}")
    return cls(run)
