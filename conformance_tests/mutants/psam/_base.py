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


class RewritingPsam(PsamMutant):
    """A PSAM whose answers differ from the reference's in their bytes (the transcript shows them)."""

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        inner = self.psam_card.transmit
        self.psam_card.transmit = lambda apdu: self.rewrite(apdu, inner(apdu))  # type: ignore[method-assign]

    def rewrite(self, apdu: bytes, response: bytes) -> bytes:
        return response
