"""A vendor with an offline cache: every person shown is remembered by code or card number, and
shown again when the node refuses the same medium later (suspended, cancelled, unreachable)."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_terminal import Refused, Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def __init__(self) -> None:
        super().__init__()
        self.cache: dict[tuple[str, str], dict] = {}

    def _accepted(self, key: tuple[str, str], response: Any) -> dict:
        answer = super()._accepted(key, response)
        self.cache[key] = answer["result"]["person"]
        return answer

    def on_refusal(self, key: tuple[str, str], refused: Refused) -> dict | None:
        return self.cache.get(key)


MUTANT = TerminalMutant(
    "caches-persons",
    "shows a remembered person when the node refuses a card it accepted before",
    "remembered person shown after a refusal",
    ("TERM-006",),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
