"""MAC computed over a zeroed buffer: the data was copied to the crypto buffer after the MAC ran."""

from __future__ import annotations

from ._base import PsamMutant


class ConstantMac(PsamMutant):
    mutant_name = "constant-mac"
    description = "MAC (80 FA 05 00) ignores the data"
    defect_class = "MAC input"
    catches = ("PSAM-004", "PSAM-010")

    def psam(self, apdu: bytes) -> bytes:
        if apdu[:4] == bytes([0x80, 0xFA, 0x05, 0x00]):
            apdu = apdu[:5] + bytes(len(apdu) - 5)
        return super().psam(apdu)


MUTANT = ConstantMac
