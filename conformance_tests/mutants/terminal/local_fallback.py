"""A vendor that never leaves the clerk with an empty screen: when the node refuses, it shows a
placeholder person "from the card"."""

from __future__ import annotations

from conformance_tests.drivers.reference_terminal import Refused, Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def on_refusal(self, key: tuple[str, str], refused: Refused) -> dict | None:
        return {"main_index": "", "name": "(from the card)", "document_number": ""}


MUTANT = TerminalMutant(
    "local-fallback",
    "shows a person from local data when the node refuses the card",
    "local identity instead of the node's refusal",
    ("TERM-006",),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
