"""A vendor whose reader code assumes "SELECT always works on our cards": a SELECT the card refuses
is taken as done and the read goes on, so an error status word never stops the read."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def read_chip(self, card: Any, psam: Any, atr: bytes) -> Any:
        from card_emulators.readers.chipcard import ChipCardReader

        def lenient(apdu: bytes) -> bytes:
            response = card.transmit(apdu)
            if apdu[1] == 0xA4 and response[-2] not in (0x90, 0x61):
                return b"\x90\x00"
            return response

        return ChipCardReader(lenient, psam.transmit, atr, self.reader_config()).read()


MUTANT = TerminalMutant(
    "ignores-select-errors",
    "treats a refused SELECT as successful and goes on reading",
    "card error status word ignored",
    ("TERM-009",),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
