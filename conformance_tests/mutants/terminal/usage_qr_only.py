"""A vendor that wired usage reporting into the QR path only (the e-card project's checklist):
chip cards, ID cards and social-security cards are never reported."""

from __future__ import annotations

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def report_usage(self, scene: str | None, medium: str, **ids: str) -> None:
        if medium == "qr":
            super().report_usage(scene, medium, **ids)


MUTANT = TerminalMutant(
    "usage-qr-only",
    "reports usage for QR codes only, not for chip, ID or social-security cards",
    "usage not reported per medium",
    ("TERM-017",),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
