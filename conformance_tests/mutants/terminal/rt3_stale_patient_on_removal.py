"""A terminal whose screen keeps the last patient: when a card read fails (card pulled out, a card
error) the result is not cleared and the previous patient is what the terminal shows and hands to
the HIS. On the first card of the day there is no previous patient and the error is shown."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def __init__(self) -> None:
        super().__init__()
        self.on_screen: dict | None = None

    def _accepted(self, key: tuple[str, str], response: Any) -> dict:
        answer = super()._accepted(key, response)
        self.on_screen = answer["result"]["person"]
        return answer

    def insert_card(self, req: dict) -> dict:
        answer = super().insert_card(req)
        if "error" in answer["result"] and self.on_screen is not None:
            return {"read": answer.get("read"), "result": {"person": self.on_screen}}
        return answer


MUTANT = TerminalMutant(
    "rt3-stale-patient-on-removal",
    "a failed card read shows the previous patient (the screen is not cleared)",
    "previous patient shown after a failed read",
    ("TERM-008", "TERM-009", "TERM-014"),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
