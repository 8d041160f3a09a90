"""MAC over the data without its last block: the vendor's PSAM "adds the 80 00.. padding itself"
and so drops the terminal's padded last block — the MAC does not cover the end of the message."""

from __future__ import annotations

from ._base import PsamMutant


class MacDropsLastBlock(PsamMutant):
    mutant_name = "mac-drops-last-block"
    description = "MAC (80 FA 05 00) is computed over the data without its last 16-byte block"
    defect_class = "MAC input"
    catches = ("PSAM-004", "PSAM-010")

    def psam(self, apdu: bytes) -> bytes:
        if apdu[:4] == bytes([0x80, 0xFA, 0x05, 0x00]) and len(apdu) >= 5 + 48 and apdu[4] == len(apdu) - 5:
            body = apdu[5:-16]
            apdu = apdu[:4] + bytes([len(body)]) + body
        return super().psam(apdu)


MUTANT = MacDropsLastBlock
