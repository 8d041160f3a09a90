"""A vendor whose firmware ships with the terminal id of its demo unit in the verify context
(department 0001), whatever terminal it is installed as."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def ctx(self, scene: str | None) -> Any:
        ctx = super().ctx(scene)
        ctx.terminal_id = ctx.org_code + "0001"
        return ctx


MUTANT = TerminalMutant(
    "spoofs-terminal-id",
    "sends a fixed terminal id in the context instead of its configured identity",
    "terminal context not the configured identity",
    ("TERM-002",),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
