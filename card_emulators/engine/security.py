"""Keys, PINs and their retry counters as stored in non-volatile memory.

Counters are decremented (journaled) BEFORE the comparison and restored after a success, as real
COSes do against tearing attacks: pulling the card after a wrong guess still costs a try.
"""

from __future__ import annotations

import hmac

from card_emulators.engine.apdu import SW, StatusError
from card_emulators.engine.filesystem import KeyObject, PinObject

__all__ = [
    "UNLIMITED",
    "key_value",
    "key_tries",
    "set_key",
    "pin_state",
    "set_pin",
    "encode_pin",
    "check_pin_format",
    "spend_try",
]

UNLIMITED = 0xFF


def key_value(card, key: KeyObject) -> bytes:
    return card.nvm.read(key.region, 1, 16)


def key_tries(card, key: KeyObject) -> int:
    return card.nvm.regions[key.region][0]


def set_key(card, key: KeyObject, value: bytes, tries: int | None = None) -> None:
    if len(value) != 16:
        raise ValueError("keys are 16 bytes (SM4)")
    card.write([(key.region, 0, bytes([key.max_tries if tries is None else tries]) + value)])


def encode_pin(digits: str, size: int) -> bytes:
    """Packed BCD, right-padded with F, ``size`` bytes (PBOC convention)."""
    if not digits.isdigit() or not 4 <= len(digits) <= size * 2:
        raise ValueError("PIN must be 4 or more decimal digits")
    text = digits + "F" * (size * 2 - len(digits))
    return bytes.fromhex(text)


def check_pin_format(raw: bytes, max_len: int) -> bytes:
    """A PIN block as sent: 2..max_len bytes of BCD digits right-padded with F (at least 4 digits)."""
    if not 2 <= len(raw) <= max_len:
        raise StatusError(SW.WRONG_LENGTH)
    nibbles = raw.hex().upper()
    digits = nibbles.rstrip("F")
    if len(digits) < 4 or not digits.isdigit():
        raise StatusError(SW.WRONG_DATA)
    return raw + b"\xff" * (max_len - len(raw))


# PIN region: [pin tries][pin 6 B, F-padded][puk tries][puk 8 B, F-padded]  (+2 spare bytes)
def pin_state(card, pin: PinObject) -> tuple[int, bytes, int, bytes]:
    r = card.nvm.regions[pin.region]
    return r[0], bytes(r[2:8]), r[8], bytes(r[10:18])


def set_pin(
    card,
    pin: PinObject,
    value: bytes | None = None,
    puk: bytes | None = None,
    pin_tries: int | None = None,
    puk_tries: int | None = None,
) -> None:
    old_tries, old_pin, old_puk_tries, old_puk = pin_state(card, pin)
    body = (
        bytes([old_tries if pin_tries is None else pin_tries, 0])
        + (old_pin if value is None else value.ljust(6, b"\xff"))
        + bytes([old_puk_tries if puk_tries is None else puk_tries, 0])
        + (old_puk if puk is None else puk.ljust(8, b"\xff"))
    )
    card.write([(pin.region, 0, body)])


def spend_try(card, region: str, offset: int, expected: bytes, given: bytes, max_tries: int) -> None:
    """Decrement-then-compare: raise 6983 when blocked, 63Cx on a mismatch; restore on success."""
    tries = card.nvm.regions[region][offset]
    if tries == 0:
        raise StatusError(SW.AUTH_BLOCKED)
    if tries != UNLIMITED:
        card.write([(region, offset, bytes([tries - 1]))])
    if not hmac.compare_digest(expected, given):
        raise StatusError(SW.WARN_TRIES | (max(tries - 1, 0) if tries != UNLIMITED else 0xF) & 0x0F)
    if tries != UNLIMITED and tries - 1 != max_tries:
        card.write([(region, offset, bytes([max_tries]))])
