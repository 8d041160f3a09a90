"""READ RECORD / READ BINARY with a short file identifier go straight to the file table entry: the
access condition is evaluated on SELECT-then-read only (the vendor thought SFI reads were "internal")."""

from __future__ import annotations

from typing import Any

from ._base import CardMutant, find_tlv_record


def _read_record(card: Any, cmd: Any) -> bytes:
    from card_emulators.engine import commands
    from card_emulators.engine.apdu import SW, StatusError

    if cmd.p2 >> 3 and not cmd.data:
        ef = commands._record_ef(card, cmd)
        if cmd.p2 & 0x07 == 0x04 and cmd.p1:
            return commands.read_record_bytes(card, ef, commands.record_index(card, ef, cmd.p1))
        if cmd.p2 & 0x07 == 0x00 and ef.tlv:
            record = find_tlv_record(card, ef, cmd.p1)
            if record is not None:
                return record
            raise StatusError(SW.RECORD_NOT_FOUND)
    return commands.read_record(card, cmd)


def _read_binary(card: Any, cmd: Any) -> bytes:
    from card_emulators.engine import commands
    from card_emulators.engine.apdu import SW, StatusError

    if cmd.p1 & 0x80 and not cmd.p1 & 0x60 and not cmd.data:
        ef, offset = commands._binary_target(card, cmd)
        if offset >= ef.size:
            raise StatusError(SW.WRONG_P1P2_OFFSET)
        n = min(ef.size - offset, 256 if cmd.le is None else cmd.le)
        return card.nvm.read(ef.region, offset, n)
    return commands.read_binary(card, cmd)


class SfiReadBypass(CardMutant):
    mutant_name = "sfi-read-bypass"
    description = "READ RECORD/READ BINARY addressed by SFI skip the access condition"
    defect_class = "access control: one addressing mode"
    catches = ("CARD-FILE-010",)

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.replace_handler(0xB2, _read_record)
        self.replace_handler(0xB0, _read_binary)


MUTANT = SfiReadBypass
