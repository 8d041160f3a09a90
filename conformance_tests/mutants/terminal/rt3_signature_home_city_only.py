"""A terminal that checks the issuer signature only for cards of its own city: "we only have our
city's issuer key; cards from elsewhere are read without the check so visitors are not turned
away". A forged card that says it was issued in another city (item 57) is accepted."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def read_chip(self, card: Any, psam: Any, atr: bytes) -> Any:
        from card_emulators.readers.chipcard import ChipCardReader
        from card_emulators.readers.errors import CARD_SIGNATURE_INVALID
        from ehc.errors import EhcError

        config = replace(self.reader_config(), require_signature=False)
        chip = ChipCardReader(card.transmit, psam.transmit, atr, config).read()
        home = str(self.context.get("use_city") or self.client.context().use_city)
        if chip.signature_valid is False and chip.city_code[:4] == home[:4]:
            raise EhcError(CARD_SIGNATURE_INVALID, chip.signature_error or "issuer signature")
        return chip


MUTANT = TerminalMutant(
    "rt3-signature-home-city-only",
    "the issuer signature is enforced only for cards whose item 57 is the terminal's own city",
    "issuer signature not checked",
    ("TERM-010", "TERM-015"),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
