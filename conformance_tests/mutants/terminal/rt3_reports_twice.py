"""A terminal that reports every use twice — once when the medium is read, once when the node has
identified the person ("read" and "verified" events of the vendor's platform, both sent as usage
reports with their own request ids). Every use is at the node, with the right scene and card type;
the e-card share of the city's KPIs is counted double."""

from __future__ import annotations

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def report_usage(self, scene: str | None, medium: str, **ids: str) -> None:
        super().report_usage(scene, medium, **ids)  # the "read" event
        super().report_usage(scene, medium, **ids)  # the "verified" event


MUTANT = TerminalMutant(
    "rt3-reports-twice",
    "two usage reports (new request ids) for every accepted presentation",
    "usage reported twice",
    ("TERM-007", "TERM-017"),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
