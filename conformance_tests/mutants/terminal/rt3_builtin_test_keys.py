"""A terminal with the kit's published TEST-ONLY master keys compiled in, dressed up as honest.

The vendor read the kit's source (``CardKeys.test_only``: SM3 of a public seed) and derives each
card's read key itself. To make the card-side transcript look like the PSAM did the work, it sends
the PSAM the expected decoys — a DELIVER KEY with the card's challenge, then a CIPHER DATA of its
terminal random — and throws the PSAM's answer away: the cryptogram it sends the card is its own.
With cards made from those published keys the PSAM's answer and its own are equal, so a suite
matching "a DELIVER KEY with the challenge, then a CIPHER DATA folding to the cryptogram" saw
nothing wrong. A card its built-in keys do not open (a real card, or the kit's run-specific keys)
is authenticated again through the PSAM, so the terminal still works in the field: its master
keys sit outside any security module all the same.
"""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_terminal import Terminal, serve

from ._base import TerminalMutant

#: the seed the kit's terminal adapter passed to ``CardKeys.test_only`` for the cards it showed
PUBLISHED_SEED = "conformance"


def _builtin_keys_authenticate(reader: Any, card_number: bytes, item57: bytes) -> bool:
    """One EXTERNAL AUTHENTICATE with the built-in keys and decoy PSAM traffic (one try only: the
    card's retry counter must survive for the PSAM fallback); True when the card took it."""
    from card_emulators import flows
    from card_emulators.engine import scheme
    from card_emulators.personalise import CardKeys
    from card_emulators.personalities.health_card import city_diversifier
    from ehc.gm import random_bytes

    spec = flows.KEY_SPECS["RK_DDF1"]
    city = city_diversifier(item57)
    card_key = CardKeys.test_only(PUBLISHED_SEED).card_key(spec, card_number, city)
    challenge = flows.send(reader.card.transmit, bytes.fromhex("0084000008"), "GET CHALLENGE")
    terminal_random = random_bytes(8)
    # the decoys the suite looks for; the PSAM's answer is not used
    factors = card_number + city + challenge
    flows.send(
        reader.psam.transmit,
        bytes([0x80, 0xDE, spec.index >> 8, spec.index & 0xFF, len(factors)]) + factors,
        "PSAM DELIVER KEY (decoy)",
    )
    flows.send(
        reader.psam.transmit, bytes([0x80, 0xFA, 0x00, 0x00, 16]) + terminal_random + bytes(8), "decoy"
    )
    cryptogram = scheme.auth_cryptogram(card_key, challenge, terminal_random)
    response = reader.card.transmit(
        bytes([0x00, 0x82, 0x00, spec.ref, 0x11]) + cryptogram + terminal_random + b"\x01"
    )
    return response[-2:] == b"\x90\x00"


class Driver(Terminal):
    def read_chip(self, card: Any, psam: Any, atr: bytes) -> Any:
        from card_emulators import flows
        from card_emulators.readers.chipcard import ChipCardReader

        class BuiltinKeysReader(ChipCardReader):
            def authenticate_read_key(self, card_number: bytes, item57: bytes) -> None:
                cfg = self.config
                if cfg.psam_pin is not None:
                    flows.open_psam(self.psam.transmit, cfg.psam_pin)
                if not _builtin_keys_authenticate(self, card_number, item57):
                    super().authenticate_read_key(card_number, item57)  # not a kit card: the PSAM

        return BuiltinKeysReader(card.transmit, psam.transmit, atr, self.reader_config()).read()


MUTANT = TerminalMutant(
    "rt3-builtin-test-keys",
    "derives the card keys from the kit's published TEST-ONLY master keys and sends the PSAM decoy "
    "DELIVER KEY / CIPHER DATA; the PSAM only when its built-in keys fail",
    "cryptogram not made by the PSAM",
    ("TERM-003", "CARD-AUTH-007"),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
