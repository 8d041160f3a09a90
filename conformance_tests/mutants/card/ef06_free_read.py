"""The personalisation script left DDF1/EF06 with the "free" access condition of EF05."""

from __future__ import annotations

from typing import Any

from ._base import CardMutant


class HolderFileFree(CardMutant):
    mutant_name = "ef06-free-read"
    description = "DDF1/EF06 holder data readable without external authentication (ACL copied from EF05)"
    defect_class = "access control"
    catches = ("CARD-FILE-005", "CARD-FILE-010")

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        from card_emulators.engine import FREE

        self.card.node(0xDDF1, 0xEF06).read = FREE


MUTANT = HolderFileFree
