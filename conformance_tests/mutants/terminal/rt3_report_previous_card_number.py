"""A terminal whose usage record is filled from the previous presentation's buffer: the scene,
card type and time are this use's, the card number is the one read before (the first report of the
day is right). Every use is at the node; for a desk that sees the same patient twice in a row
nothing looks wrong, otherwise each use is booked on the previous patient."""

from __future__ import annotations

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def __init__(self) -> None:
        super().__init__()
        self.last_number: str | None = None

    def report_usage(self, scene: str | None, medium: str, **ids: str) -> None:
        if "card_number" in ids:
            current = ids["card_number"]
            ids["card_number"] = self.last_number or current
            self.last_number = current
        super().report_usage(scene, medium, **ids)


MUTANT = TerminalMutant(
    "rt3-report-previous-card-number",
    "the usage report of a card carries the card number of the previous card presentation",
    "usage report names another card",
    ("TERM-007", "TERM-017"),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
