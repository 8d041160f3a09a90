"""What every terminal mutant module declares, and the card reads several vendors share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TerminalMutant:
    mutant_name: str
    description: str
    defect_class: str
    catches: tuple[str, ...]
    module: str  # run as ``python -m <module>``
    profile: str = "national"


def read_free_files(card: Any, psam: Any, atr: bytes) -> Any:
    """EF05 only (the files any reader may read, no PSAM): the card number is the holder's ID
    number, which is all a shortcut needs to ask the node for the person."""
    from card_emulators.personalities import encodings
    from card_emulators.personalities.health_layout import item_by_tag
    from card_emulators.readers.chipcard import (
        DDF1,
        EF05,
        ISSUER_TAGS,
        ChipCardRead,
        ChipCardReader,
        ReaderConfig,
        parse_tlv_record,
    )

    reader = ChipCardReader(card.transmit, psam.transmit, atr, ReaderConfig())
    reader.select(0x3F00)
    reader.select(DDF1)
    reader.select(EF05)
    values = {tag: parse_tlv_record(reader.read_item(tag), tag) for tag in ISSUER_TAGS if tag != 5}
    number = str(encodings.decode(item_by_tag(8).kind, values[8]))
    city = str(encodings.decode(item_by_tag(57).kind, values[57]))
    return ChipCardRead(
        atr=atr,
        card_number=number,
        city_code=city,
        issuer={"card_number": number},
        holder={"id_number": number},
        ef08={},
        signature_valid=None,
    )
