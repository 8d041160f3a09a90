"""A vendor that tries the holder file first and authenticates only when the card refuses: the
person is right in the end, but EF06 was read before EXTERNAL AUTHENTICATE."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def read_chip(self, card: Any, psam: Any, atr: bytes) -> Any:
        for apdu in ("00A40000023F00", "00A4000002DDF1", "00A4000002EF06", "00B20B0020"):
            card.transmit(bytes.fromhex(apdu))  # "fast path": most cards let us, we hope
        return super().read_chip(card, psam, atr)


MUTANT = TerminalMutant(
    "ef06-before-auth",
    "reads EF06 (name) before the PSAM external authentication, then authenticates when refused",
    "protected file read before authentication",
    ("TERM-003",),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
