"""A vendor that never checks the issuer signature (no issuer key loaded: "the PSAM already
authenticated the card")."""

from __future__ import annotations

import dataclasses
from typing import Any

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def reader_config(self) -> Any:
        return dataclasses.replace(super().reader_config(), issuer_public_key=None)


MUTANT = TerminalMutant(
    "skips-signature",
    "does not verify the issuer signature at all (no issuer key configured in the reader)",
    "issuer signature not checked",
    ("TERM-010",),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
