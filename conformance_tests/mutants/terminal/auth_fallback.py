"""A vendor that keeps the queue moving: when the card fails EXTERNAL AUTHENTICATE (a counterfeit,
or keys the PSAM does not hold), it falls back to the free-read file and resolves the card number."""

from __future__ import annotations

from typing import Any

from card_emulators.readers.errors import CARD_AUTH_FAILED
from conformance_tests.drivers.reference_terminal import Terminal, serve
from ehc.errors import EhcError

from ._base import TerminalMutant, read_free_files


class Driver(Terminal):
    def read_chip(self, card: Any, psam: Any, atr: bytes) -> Any:
        try:
            return super().read_chip(card, psam, atr)
        except EhcError as exc:
            if exc.code != CARD_AUTH_FAILED:
                raise
            return read_free_files(card, psam, atr)


MUTANT = TerminalMutant(
    "auth-fallback",
    "falls back to the free-read EF05 card number when external authentication fails",
    "counterfeit card accepted",
    ("TERM-014",),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
