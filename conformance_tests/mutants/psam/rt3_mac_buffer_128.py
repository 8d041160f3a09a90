"""A PSAM with a 128-byte MAC buffer: the CBC chain of ``80 FA 05 00`` runs over the IV and the
first 8 data blocks only; longer data (a long record, an SM command near Lc 255) is MACed as if it
ended there. Every MAC over up to 128 bytes of data is right."""

from __future__ import annotations

from ._base import PsamMutant

BUFFER = 128


class MacBuffer128(PsamMutant):
    mutant_name = "rt3-mac-buffer-128"
    description = "MAC (80 FA 05 00) computed over the first 128 data bytes only"
    defect_class = "MAC input"
    catches = ("PSAM-004", "PSAM-010")

    def psam(self, apdu: bytes) -> bytes:
        if apdu[:4] == bytes([0x80, 0xFA, 0x05, 0x00]) and len(apdu) > 5 + 16 + BUFFER:
            body = apdu[5 : 5 + apdu[4]][: 16 + BUFFER]
            apdu = apdu[:4] + bytes([len(body)]) + body
        return super().psam(apdu)


MUTANT = MacBuffer128
