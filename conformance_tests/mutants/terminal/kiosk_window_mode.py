"""A kiosk vendor that reuses its counter software: every application goes to the node as a staffed
window application (mode 3), so the city's kiosk figures never see it."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers import reference_terminal
from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def register_applicant(self, chip: dict[str, str], form: dict[str, str]) -> Any:
        reference_terminal.KIOSK_MODE = "3"  # 窗口申领: the counter build's constant
        return super().register_applicant(chip, form)


MUTANT = TerminalMutant(
    "kiosk-window-mode",
    "kiosk application registered with application mode 3 (staffed window) instead of 2 (kiosk)",
    "kiosk application under the wrong application mode",
    ("NODE-REG-007",),
    __name__,
    profile="zibo",
)

if __name__ == "__main__":
    serve(Driver())
