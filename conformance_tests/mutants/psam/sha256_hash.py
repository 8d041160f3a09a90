"""PSO HASH on a chip whose crypto library defaults to SHA-256 (the SM3 switch was never set)."""

from __future__ import annotations

from ._base import PsamMutant


class Sha256Hash(PsamMutant):
    mutant_name = "sha256-hash"
    description = "PSO HASH returns SHA-256 instead of SM3"
    defect_class = "algorithm"
    catches = ("PSAM-006",)

    def psam(self, apdu: bytes) -> bytes:
        if apdu[:4] == bytes.fromhex("002A9080"):
            import hashlib

            digest = hashlib.sha256(apdu[5 : 5 + apdu[4]]).digest()
            self.log.apdu(apdu, digest + b"\x90\x00", note="PSAM")
            return digest + b"\x90\x00"
        return super().psam(apdu)


MUTANT = Sha256Hash
