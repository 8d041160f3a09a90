"""A "soft-SAM" terminal: the vendor found the kit's TEST-ONLY master keys in its public source and
built them into the firmware, so the read-key cryptogram is computed in software. The PSAM is
still opened (SELECT, VERIFY PIN, SELECT DF01) so that the PSAM slot shows traffic, but it never
diversifies a key nor computes a cryptogram. Works only with cards made from the kit's test keys
(else it falls back on the PSAM); in the field it means master keys outside any security module.
The kit's terminal runs now issue cards under random run keys: the refused software cryptogram
before the fallback is what the suite sees (rt3-builtin-test-keys adds decoy PSAM commands)."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant


def _soft_authenticate(reader: Any, card_number: bytes, item57: bytes) -> None:
    from card_emulators import flows
    from card_emulators.engine import scheme
    from card_emulators.personalise import CardKeys
    from card_emulators.personalities.health_card import city_diversifier
    from ehc.gm import random_bytes

    if reader.config.psam_pin is not None:
        flows.open_psam(reader.psam.transmit, reader.config.psam_pin)  # the PSAM slot looks busy
    spec = flows.KEY_SPECS["RK_DDF1"]
    card_key = CardKeys.test_only("conformance").card_key(spec, card_number, city_diversifier(item57))
    challenge = flows.send(reader.card.transmit, bytes.fromhex("0084000008"), "GET CHALLENGE")
    terminal_random = random_bytes(8)
    cryptogram = scheme.auth_cryptogram(card_key, challenge, terminal_random)
    flows.send(
        reader.card.transmit,
        bytes([0x00, 0x82, 0x00, spec.ref, 0x11]) + cryptogram + terminal_random + b"\x01",
        "EXTERNAL AUTHENTICATE RK_DDF1",
    )


class Driver(Terminal):
    def read_chip(self, card: Any, psam: Any, atr: bytes) -> Any:
        from card_emulators.readers.chipcard import ChipCardReader

        class SoftSamReader(ChipCardReader):
            def authenticate_read_key(self, card_number: bytes, item57: bytes) -> None:
                try:
                    _soft_authenticate(self, card_number, item57)
                except Exception:  # noqa: BLE001 - not a test-key card: the PSAM after all
                    super().authenticate_read_key(card_number, item57)

        return SoftSamReader(card.transmit, psam.transmit, atr, self.reader_config()).read()


MUTANT = TerminalMutant(
    "rt3-soft-sam",
    "computes the read-key cryptogram in software with the kit's TEST-ONLY master keys; the PSAM only opened",
    "cryptogram not made by the PSAM",
    ("TERM-003", "CARD-AUTH-007"),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
