"""A vendor that counts "scans" as uses: it reports usage for every presentation, the refused ones
too (which inflates the hospital's e-card figures)."""

from __future__ import annotations

from conformance_tests.drivers.reference_terminal import Refused, Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def _refusal(self, key: tuple[str, str], refused: Refused) -> dict:
        medium, identifier = key
        if medium == "qr":
            from qr_codec.text import parse

            try:
                self.report_usage(self.scene, medium, ehcid=parse(identifier).ehcid)
            except Exception:  # noqa: BLE001 - an opaque token: nothing to count
                pass
        elif identifier:
            self.report_usage(self.scene, medium, card_number=identifier)
        return super()._refusal(key, refused)


MUTANT = TerminalMutant(
    "reports-refused",
    "reports a card use for presentations the node refused",
    "usage reported for a refused presentation",
    ("TERM-018",),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
