"""READ RECORD of the current record (P1=00, P2=04) was written for the vendor's personalisation
tool: it returns the record under the record pointer and never checks the file's access condition."""

from __future__ import annotations

from typing import Any

from ._base import CardMutant


def _read_record(card: Any, cmd: Any) -> bytes:
    from card_emulators.engine import commands

    if cmd.p1 == 0x00 and cmd.p2 & 0x07 == 0x04 and not cmd.data:
        ef = commands._record_ef(card, cmd)
        return commands.read_record_bytes(card, ef, commands.record_index(card, ef, 1))
    return commands.read_record(card, cmd)


class CurrentRecordBypass(CardMutant):
    mutant_name = "current-record-bypass"
    description = "READ RECORD of the current record (P1=00) serves a protected file without authentication"
    defect_class = "access control: one addressing mode"
    catches = ("CARD-FILE-010",)

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.replace_handler(0xB2, _read_record)


MUTANT = CurrentRecordBypass
