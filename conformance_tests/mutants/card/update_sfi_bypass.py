"""UPDATE BINARY / UPDATE RECORD addressed by SFI skip the access condition (the SFI branch writes
straight into the file body, like the personalisation path it was copied from)."""

from __future__ import annotations

from typing import Any

from ._base import CardMutant


def _update_binary(card: Any, cmd: Any) -> bytes:
    from card_emulators.engine import commands
    from card_emulators.engine.apdu import SW, StatusError

    if cmd.cla == 0x00 and cmd.p1 & 0x80 and not cmd.p1 & 0x60:
        ef, offset = commands._binary_target(card, cmd)
        if not cmd.data or offset + len(cmd.data) > ef.size:
            raise StatusError(SW.WRONG_LENGTH)
        card.write([(ef.region, offset, cmd.data)])
        return b""
    return commands.update_binary(card, cmd)


def _update_record(card: Any, cmd: Any) -> bytes:
    from card_emulators.engine import commands
    from card_emulators.engine.apdu import SW, StatusError

    if cmd.cla == 0x00 and cmd.p2 >> 3 and cmd.p2 & 0x07 == 0x04 and cmd.p1:
        ef = commands._record_ef(card, cmd)
        index = commands.record_index(card, ef, cmd.p1)
        if len(cmd.data) != ef.record_sizes[index]:
            raise StatusError(SW.WRONG_LENGTH)
        card.write([(ef.region, ef.offset_of(index), cmd.data)])
        return b""
    return commands.update_record(card, cmd)


class UpdateSfiBypass(CardMutant):
    mutant_name = "update-sfi-bypass"
    description = "UPDATE BINARY/UPDATE RECORD addressed by SFI write protected files without the update key"
    defect_class = "access control: write"
    catches = ("CARD-APDU-011",)

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.replace_handler(0xD6, _update_binary)
        self.replace_handler(0xDC, _update_record)


MUTANT = UpdateSfiBypass
