"""A vendor that verifies the issuer signature, logs the failure, and shows the person anyway."""

from __future__ import annotations

import dataclasses
from typing import Any

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def reader_config(self) -> Any:
        return dataclasses.replace(super().reader_config(), require_signature=False)


MUTANT = TerminalMutant(
    "ignores-signature",
    "accepts cards whose issuer signature does not verify (the check only logs)",
    "issuer signature not checked",
    ("TERM-010",),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
