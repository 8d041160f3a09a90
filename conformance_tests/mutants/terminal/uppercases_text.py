"""A vendor following an old integration guide: "normalise the code to upper case" — a lower-case
(malformed) code is repaired and accepted instead of refused."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def check_text(self, text: str) -> None:
        super().check_text(text.upper())

    def verify_qr(self, text: str, scene: str | None) -> Any:
        return super().verify_qr(text.upper(), scene)


MUTANT = TerminalMutant(
    "uppercases-text",
    "upper-cases the scanned text before checking and sending it",
    "malformed code repaired",
    ("QR-TEXT-004",),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
