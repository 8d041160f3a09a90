"""The PSAM driver presents the PIN on the terminal's behalf before DELIVER KEY / PSO: the PSAM's
services work without VERIFY PIN (the vendor's "convenience" mode shipped enabled)."""

from __future__ import annotations

from ._base import PsamMutant


class NoPinNeeded(PsamMutant):
    mutant_name = "no-pin-needed"
    description = "DELIVER KEY and SIGN work before VERIFY PIN"
    defect_class = "PIN enforcement"
    catches = ("PSAM-003", "PSAM-006", "PSAM-009")

    _pin_done = False

    def psam(self, apdu: bytes) -> bytes:
        if len(apdu) > 1 and apdu[1] in (0xDE, 0x2A) and not self._pin_done:
            block = bytes.fromhex(self.psam_pin + "F" * (len(self.psam_pin) % 2))
            current = self.psam_card.current_df.fid
            self.psam_card.transmit(bytes([0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00]))
            self.psam_card.transmit(bytes([0x00, 0x20, 0x00, 0x00, len(block)]) + block)
            self.psam_card.transmit(bytes([0x00, 0xA4, 0x00, 0x00, 0x02]) + current.to_bytes(2, "big"))
        if len(apdu) > 1 and apdu[1] == 0x20:
            self._pin_done = True
        return super().psam(apdu)

    def psam_reset(self) -> None:
        super().psam_reset()
        self._pin_done = False


MUTANT = NoPinNeeded
