"""Mutants of the reference PSAM (the emulated one behind the card adapter)."""

from __future__ import annotations

from typing import Any

from ehc.errors import EhcError

from ..adapters.card import EmulatedCard
from ..errors import ADAPTER_UNKNOWN


class _PsamMutant(EmulatedCard):
    mutant_name = ""
    description = ""

    def info(self) -> dict[str, Any]:
        return {**super().info(), "adapter": f"psam:mutant:{self.mutant_name}", "mutant": self.description}


class NoPinNeeded(_PsamMutant):
    mutant_name = "no-pin-needed"
    description = "DELIVER KEY and SIGN work before VERIFY PIN"

    def psam(self, apdu: bytes) -> bytes:
        from card_emulators.engine.security import encode_pin  # noqa: F401 - same PIN format as the PSAM

        if len(apdu) > 1 and apdu[1] in (0xDE, 0x2A) and not self._pin_done:
            digits = self.psam_pin + "F" * (len(self.psam_pin) % 2)
            block = bytes.fromhex(digits)
            self.psam_card.transmit(bytes([0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00]))
            self.psam_card.transmit(bytes([0x00, 0x20, 0x00, 0x00, len(block)]) + block)
            self.psam_card.transmit(bytes([0x00, 0xA4, 0x00, 0x00, 0x02, 0xDF, 0x01]))
        if len(apdu) > 1 and apdu[1] == 0x20:
            self._pin_done = True
        return super().psam(apdu)

    def psam_reset(self) -> None:
        super().psam_reset()
        self._pin_done = False

    _pin_done = False


class ConstantMac(_PsamMutant):
    mutant_name = "constant-mac"
    description = "MAC (80 FA 05 00) ignores the data"

    def psam(self, apdu: bytes) -> bytes:
        if apdu[:4] == bytes([0x80, 0xFA, 0x05, 0x00]):
            apdu = apdu[:5] + bytes(len(apdu) - 5)
        return super().psam(apdu)


class Sha256Hash(_PsamMutant):
    mutant_name = "sha256-hash"
    description = "PSO HASH returns SHA-256 instead of SM3"

    def psam(self, apdu: bytes) -> bytes:
        if apdu[:4] == bytes.fromhex("002A9080"):
            import hashlib

            digest = hashlib.sha256(apdu[5 : 5 + apdu[4]]).digest()
            self.log.apdu(apdu, digest + b"\x90\x00", note="PSAM")
            return digest + b"\x90\x00"
        return super().psam(apdu)


MUTANTS = {cls.mutant_name: cls for cls in (NoPinNeeded, ConstantMac, Sha256Hash)}


def make_mutant(name: str, run: Any) -> EmulatedCard:
    cls = MUTANTS.get(name)
    if cls is None:
        raise EhcError(ADAPTER_UNKNOWN, f"no PSAM mutant {name!r}; known: {', '.join(MUTANTS)}")
    return cls(run)
