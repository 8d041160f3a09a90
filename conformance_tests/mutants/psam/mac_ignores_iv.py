"""MAC always chains from a zero IV (the observed terminal flow sends 16×00, so the vendor never
read the IV field): any terminal that chains MACs with a real IV gets a wrong MAC."""

from __future__ import annotations

from ._base import PsamMutant


class MacIgnoresIv(PsamMutant):
    mutant_name = "mac-ignores-iv"
    description = "MAC (80 FA 05 00) uses a zero IV whatever IV the terminal sends"
    defect_class = "MAC input"
    catches = ("PSAM-010",)

    def psam(self, apdu: bytes) -> bytes:
        if apdu[:4] == bytes([0x80, 0xFA, 0x05, 0x00]) and len(apdu) >= 21:
            apdu = apdu[:5] + bytes(16) + apdu[21:]
        return super().psam(apdu)


MUTANT = MacIgnoresIv
