"""READ RECORD answers carry a TLV length byte counting the tag too (off by one)."""

from __future__ import annotations

from ._base import RewritingCard


class TlvLengthOff(RewritingCard):
    mutant_name = "tlv-length-off"
    description = "READ RECORD answers carry a TLV length byte one too large"
    defect_class = "data encoding"
    catches = ("CARD-ITEM-001", "CARD-ITEM-002", "CARD-ITEM-003")

    def rewrite(self, apdu: bytes, response: bytes) -> bytes:
        if len(apdu) >= 2 and apdu[1] == 0xB2 and response[-2:] == b"\x90\x00" and len(response) > 4:
            return response[:1] + bytes([(response[1] + 1) & 0xFF]) + response[2:]
        return response


MUTANT = TlvLengthOff
