"""A terminal that treats DDF1/EF08 (validity, phones, payment methods) as optional: a card that
answers an error status word to its SELECT or READ RECORD (6A82 "no such file", 6982, 6A83) is read
without it and the patient identified — a card whose EF08 is missing or refused, or whose validity
cannot be read, is accepted. An error on the first SELECT (MF, DDF1) is still a read failure."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def read_chip(self, card: Any, psam: Any, atr: bytes) -> Any:
        from card_emulators.readers.chipcard import ChipCardReader
        from card_emulators.readers.errors import CARD_READ_FAILED, CARD_SELECT_FAILED
        from ehc.errors import EhcError

        config = replace(self.reader_config(), read_ef08=False)
        chip = ChipCardReader(card.transmit, psam.transmit, atr, config).read()
        reader = ChipCardReader(card.transmit, psam.transmit, atr, config)
        try:
            reader.select(0xEF08)
            for tag in (7, 16, 17, 18, 19, 20):
                reader.read_item(tag)
        except EhcError as exc:
            if exc.code not in (CARD_SELECT_FAILED, CARD_READ_FAILED):
                raise  # a transport failure (card removed) still fails the read
        return chip


MUTANT = TerminalMutant(
    "rt3-optional-ef08-errors",
    "an error status word on EF08 (SELECT or READ) is ignored: the patient is identified without it",
    "card error status word ignored",
    ("TERM-009",),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
