"""A vendor that checks the issuer signature with the public key found in the card's own
certificate: every self-consistent certificate passes, whoever made it."""

from __future__ import annotations

import dataclasses
from typing import Any

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def read_chip(self, card: Any, psam: Any, atr: bytes) -> Any:
        from card_emulators.readers.chipcard import DDF1, EF05, ChipCardReader
        from ehc.gm import SM2PublicKey

        probe = ChipCardReader(card.transmit, psam.transmit, atr, self.reader_config())
        probe.select(0x3F00)
        probe.select(DDF1)
        probe.select(EF05)
        cert = probe.read_item(5)[2:]
        self._card_issuer = SM2PublicKey(bytes(cert[12:77]))  # "the card tells us its issuer"
        return super().read_chip(card, psam, atr)

    def reader_config(self) -> Any:
        config = super().reader_config()
        key = getattr(self, "_card_issuer", None)
        return dataclasses.replace(config, issuer_public_key=key) if key is not None else config


MUTANT = TerminalMutant(
    "trusts-any-issuer",
    "verifies the issuer certificate with the key inside it instead of the configured issuer key",
    "untrusted issuer accepted",
    ("TERM-015",),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
