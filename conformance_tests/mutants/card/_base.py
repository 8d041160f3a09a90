"""What every card mutant shares: the reference card behind the adapter, and ways to replace one
command handler or rewrite answers the way a vendor's own card OS code would differ."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...adapters.card import EmulatedCard


class CardMutant(EmulatedCard):
    """The kit's emulated card with one vendor shortcut; subclasses say which defect class it is."""

    mutant_name = ""
    description = ""
    defect_class = ""
    catches: tuple[str, ...] = ()

    def info(self) -> dict[str, Any]:
        return {**super().info(), "adapter": f"card:mutant:{self.mutant_name}", "mutant": self.description}

    def replace_handler(self, ins: int, handler: Callable[[Any, Any], Any]) -> None:
        """The vendor's own implementation of one INS (same accepted classes as the reference)."""
        self.card.handlers[ins] = (handler, self.card.handlers[ins][1])


class RewritingCard(CardMutant):
    """A card whose answers differ from the reference's in their bytes (status words, lengths)."""

    def rewrite(self, apdu: bytes, response: bytes) -> bytes:
        return response

    def _raw_transmit(self, apdu: bytes) -> bytes:
        return self.rewrite(apdu, super()._raw_transmit(apdu))


def all_dfs(df: Any):
    """Every DF of a card tree, depth first."""
    yield df
    for child in getattr(df, "children", {}).values():
        if hasattr(child, "children"):
            yield from all_dfs(child)


def find_tlv_record(card: Any, ef: Any, tag: int) -> bytes | None:
    """The record of a TLV record file whose first byte is ``tag`` (the tag search of 00 B2 <tag> 00)."""
    region = card.nvm.regions[ef.region]
    offset = 0
    for size in ef.record_sizes:
        if size and region[offset] == tag:
            return bytes(region[offset : offset + size])
        offset += size
    return None
