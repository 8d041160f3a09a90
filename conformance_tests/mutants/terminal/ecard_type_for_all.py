"""A vendor that copied the e-card usage example: every use is reported with card type 11 (电子健康卡),
whatever was presented — chip cards and ID cards are counted as e-card uses."""

from __future__ import annotations

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def report_usage(self, scene: str | None, medium: str, **ids: str) -> None:
        super().report_usage(scene, "qr", **ids)


MUTANT = TerminalMutant(
    "ecard-type-for-all",
    "reports every use with the e-card card type 11, whatever the medium",
    "usage not reported per medium",
    ("TERM-017",),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
