"""The vendor's personalisation commands use the proprietary class 80: its READ RECORD / READ BINARY
share the file code but run before the access check (the personalisation machine had no keys)."""

from __future__ import annotations

from typing import Any

from ._base import CardMutant


def _raw_read(card: Any, cmd: Any) -> bytes:
    from card_emulators.engine import commands
    from card_emulators.engine.apdu import SW, StatusError

    if cmd.ins == 0xB0:
        ef, offset = commands._binary_target(card, cmd)
        if offset >= ef.size:
            raise StatusError(SW.WRONG_P1P2_OFFSET)
        return card.nvm.read(ef.region, offset, min(ef.size - offset, 256 if cmd.le is None else cmd.le))
    rec = commands._record_ef(card, cmd)
    return commands.read_record_bytes(card, rec, commands.record_index(card, rec, cmd.p1 or 1))


def _by_class(standard: Any) -> Any:
    def handler(card: Any, cmd: Any) -> bytes:
        return _raw_read(card, cmd) if cmd.cla == 0x80 else standard(card, cmd)

    return handler


class ProprietaryClassBypass(CardMutant):
    mutant_name = "proprietary-class-bypass"
    description = "READ RECORD/READ BINARY with CLA 80 (personalisation class) skip the access condition"
    defect_class = "access control: one addressing mode"
    catches = ("CARD-FILE-010", "CARD-FILE-005")

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        from card_emulators.engine import commands

        self.card.handlers[0xB2] = (_by_class(commands.read_record), frozenset({0x00, 0x80}))
        self.card.handlers[0xB0] = (_by_class(commands.read_binary), frozenset({0x00, 0x80}))


MUTANT = ProprietaryClassBypass
