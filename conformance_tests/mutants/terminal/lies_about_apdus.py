"""A vendor that never authenticates: it reads the free file EF05, takes the card number (the
holder's ID number) and asks the node for the person — and its self-report lists a GET CHALLENGE
and EXTERNAL AUTHENTICATE it never sent."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant, read_free_files


class Driver(Terminal):
    def read_chip(self, card: Any, psam: Any, atr: bytes) -> Any:
        return read_free_files(card, psam, atr)

    def insert_card(self, req: dict) -> dict:
        answer = super().insert_card(req)
        if answer.get("read"):  # "we authenticate, see": what a v1 driver could claim
            answer["read"]["apdus"] = [["0084000008", "9000"], ["0082000008", "9000"], ["00A4000002", "9000"]]
        return answer


MUTANT = TerminalMutant(
    "lies-about-apdus",
    "reads only EF05, never authenticates with the PSAM, reports the APDUs of an authentication",
    "card read without PSAM authentication",
    ("TERM-003",),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
