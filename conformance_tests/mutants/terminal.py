"""Mutants of the reference terminal: the reference driver run with EHC_TERMINAL_MUTANT set."""

from __future__ import annotations

import os
from typing import Any

from ehc.errors import EhcError

from ..adapters.terminal import REFERENCE_DRIVER, DriverTerminal
from ..errors import ADAPTER_UNKNOWN


class _MutantTerminal(DriverTerminal):
    mutant_name = ""
    description = ""

    def __init__(self, run: Any) -> None:
        os.environ["EHC_TERMINAL_MUTANT"] = self.mutant_name
        try:
            super().__init__(run, REFERENCE_DRIVER)
        finally:
            os.environ.pop("EHC_TERMINAL_MUTANT", None)

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "adapter": f"terminal:mutant:{self.mutant_name}",
            "mutant": self.description,
        }


def _mutant(name: str, description: str) -> type[_MutantTerminal]:
    return type(
        f"Mutant_{name.replace('-', '_')}",
        (_MutantTerminal,),
        {"mutant_name": name, "description": description},
    )


MUTANTS: dict[str, type[_MutantTerminal]] = {
    cls.mutant_name: cls
    for cls in (
        _mutant("no-usage", "never reports card uses to the node"),
        _mutant("local-fallback", "shows a person from local data when the node refuses the card"),
        _mutant("alters-text", "appends CR LF to the scanned text before sending it"),
        _mutant("ignores-signature", "accepts cards whose issuer signature does not verify"),
    )
}


def make_mutant(name: str, run: Any) -> DriverTerminal:
    cls = MUTANTS.get(name)
    if cls is None:
        raise EhcError(ADAPTER_UNKNOWN, f"no terminal mutant {name!r}; known: {', '.join(MUTANTS)}")
    return cls(run)
