"""A vendor whose scanner glue keeps the scanner's line ending: CR LF is sent with the code."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def verify_qr(self, text: str, scene: str | None) -> Any:
        return super().verify_qr(text + "\r\n", scene)


MUTANT = TerminalMutant(
    "alters-text",
    "appends CR LF to the scanned text before sending it",
    "code text altered",
    ("TERM-001",),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
