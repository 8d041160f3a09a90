"""Access checked on READ RECORD by number only: the tag search (``00 B2 <tag> 00``, the way the
vendor's own reader library reads) was added later and walks the records without the check."""

from __future__ import annotations

from typing import Any

from ._base import CardMutant, find_tlv_record


def _read_record(card: Any, cmd: Any) -> bytes:
    from card_emulators.engine import commands
    from card_emulators.engine.apdu import SW, StatusError

    if cmd.p2 & 0x07 == 0x00 and not cmd.data:
        ef = commands._record_ef(card, cmd)
        if not ef.tlv:
            raise StatusError(SW.FILE_INCOMPATIBLE)
        record = find_tlv_record(card, ef, cmd.p1)
        if record is None:
            raise StatusError(SW.RECORD_NOT_FOUND)
        return record
    return commands.read_record(card, cmd)


class TagReadBypass(CardMutant):
    mutant_name = "ef06-tag-bypass"
    description = (
        "protects EF06 for READ RECORD by number but serves it by tag (P2=00) without authentication"
    )
    defect_class = "access control: one addressing mode"
    catches = ("CARD-FILE-005", "CARD-FILE-010")

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.replace_handler(0xB2, _read_record)


MUTANT = TagReadBypass
