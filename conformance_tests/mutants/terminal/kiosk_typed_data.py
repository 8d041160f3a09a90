"""A kiosk vendor whose application screen is the clerk's form: the ID-card reader only fills in
the ID number, and the name and nation are what was typed (a homophone slip, the default nation)."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def register_applicant(self, chip: dict[str, str], form: dict[str, str]) -> Any:
        typed = {**chip, **{k: v for k, v in form.items() if k in ("name", "nation") and v}}
        return super().register_applicant(typed, form)


MUTANT = TerminalMutant(
    "kiosk-typed-data",
    "kiosk application registered with the name and nation typed on the screen, not the ID card's",
    "kiosk application not from the ID card's data",
    ("NODE-REG-007",),
    __name__,
    profile="zibo",
)

if __name__ == "__main__":
    serve(Driver())
