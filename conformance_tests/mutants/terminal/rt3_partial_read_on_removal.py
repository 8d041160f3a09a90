"""A terminal that identifies the patient as soon as it has the holder file: the issuer signature
is checked right after EF06 (it covers EF05 and EF06) and EF08 (validity, phones, payment) is
"optional" — a card pulled out while EF08 is read still gives the person, and the use is reported."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def read_chip(self, card: Any, psam: Any, atr: bytes) -> Any:
        from dataclasses import replace

        from card_emulators.readers.chipcard import ChipCardReader

        config = replace(self.reader_config(), read_ef08=False)
        chip = ChipCardReader(card.transmit, psam.transmit, atr, config).read()
        reader = ChipCardReader(card.transmit, psam.transmit, atr, config)
        try:  # EF08 afterwards, best effort (the read key is still open in DDF1)
            reader.select(0xEF08)
            for tag in (7, 16, 17, 18, 19, 20):
                reader.read_item(tag)
        except Exception:  # noqa: BLE001 - "optional data": the patient is identified anyway
            pass
        return chip


MUTANT = TerminalMutant(
    "rt3-partial-read-on-removal",
    "a card removed after EF06 (while EF08 is read) still gives the person",
    "partial identity after a removal",
    ("TERM-008",),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
