"""A terminal that speeds up the queue: the first time it sees a card number it runs the full
read (PSAM authentication, EF06, issuer signature) and remembers the holder; the next time a card
with that number (EF05 item 8, free to read) is inserted it skips the authentication and EF06 and
uses the remembered holder. A counterfeit card that copies a genuine card's EF05 is accepted."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant, read_free_files


class Driver(Terminal):
    def __init__(self) -> None:
        super().__init__()
        self.known: dict[str, Any] = {}

    def read_chip(self, card: Any, psam: Any, atr: bytes) -> Any:
        quick = read_free_files(card, psam, atr)
        seen = self.known.get(quick.card_number)
        if seen is not None:
            return seen
        chip = super().read_chip(card, psam, atr)
        self.known[chip.card_number] = chip
        return chip


MUTANT = TerminalMutant(
    "rt3-remembers-card-numbers",
    "a card number seen before is read from EF05 only: no PSAM authentication, the holder remembered",
    "card read without PSAM authentication (second insertion)",
    ("TERM-003", "TERM-014"),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
