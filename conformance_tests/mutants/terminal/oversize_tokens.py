"""A vendor that forwards whatever the scanner read: no length limit on opaque tokens."""

from __future__ import annotations

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def check_text(self, text: str) -> None:
        from qr_codec.text import classify

        classify(text, max_length=1 << 20)  # "the node will tell us"


MUTANT = TerminalMutant(
    "oversize-tokens",
    "sends opaque tokens of any length to the node",
    "oversize token sent",
    ("QR-TEXT-012",),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
