"""A vendor that never implemented usage reporting (用卡数据上报)."""

from __future__ import annotations

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def report_usage(self, scene: str | None, medium: str, **ids: str) -> None:
        return None


MUTANT = TerminalMutant(
    "no-usage",
    "never reports card uses to the node",
    "usage not reported",
    ("TERM-007", "TERM-017"),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
