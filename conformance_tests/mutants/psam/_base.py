"""What every PSAM mutant shares: the reference PSAM behind the card adapter, and a way to replace
one of its command handlers with the vendor's own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...adapters.card import EmulatedCard


class PsamMutant(EmulatedCard):
    mutant_name = ""
    description = ""
    defect_class = ""
    catches: tuple[str, ...] = ()

    def info(self) -> dict[str, Any]:
        return {**super().info(), "adapter": f"psam:mutant:{self.mutant_name}", "mutant": self.description}

    def replace_psam_handler(self, ins: int, handler: Callable[[Any, Any], Any]) -> None:
        self.psam_card.handlers[ins] = (handler, self.psam_card.handlers[ins][1])
