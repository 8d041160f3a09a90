"""Data-item encodings of the resident health card (DIGEST §2.1): AN, CN, B.

* **AN** — text in ASCII / GB 2312 (Python codec ``gb2312``), left-aligned, right-padded with
  ``AN_PAD`` (0x00 by default, see docs/assumptions.md) to the item length.
* **CN** — packed BCD, left-aligned, right-padded with ``F`` nibbles to the item length.
* **B** — raw bytes of exactly the item length.

Encoders and decoders raise :class:`~ehc.errors.EhcError` (CARD_BAD_ENCODING) on malformed data.
"""

from __future__ import annotations

from card_emulators.errors import CARD_BAD_ENCODING
from ehc.errors import EhcError

__all__ = [
    "AN_PAD",
    "encode_an",
    "decode_an",
    "encode_cn",
    "decode_cn",
    "encode_b",
    "decode_b",
    "encode",
    "decode",
]

AN_PAD = 0x00


def encode_an(text: str, length: int, pad: int = AN_PAD) -> bytes:
    try:
        raw = text.encode("gb2312")
    except UnicodeEncodeError:
        raise EhcError(CARD_BAD_ENCODING, "text has characters outside GB 2312", length=length) from None
    if len(raw) > length:
        raise EhcError(CARD_BAD_ENCODING, "text longer than the item", length=length, actual=len(raw))
    if pad and raw.endswith(bytes([pad])):
        raise EhcError(CARD_BAD_ENCODING, "text ends with the padding character", length=length)
    return raw + bytes([pad]) * (length - len(raw))


def decode_an(raw: bytes, pad: int = AN_PAD) -> str:
    body = bytes(raw).rstrip(bytes([pad]))
    if pad != 0x00:
        body = body.rstrip(b"\x00")
    if 0x00 in body:
        raise EhcError(CARD_BAD_ENCODING, "NUL byte inside AN text")
    try:
        return body.decode("gb2312")
    except UnicodeDecodeError:
        raise EhcError(CARD_BAD_ENCODING, "AN item is not valid GB 2312") from None


def encode_cn(digits: str, length: int) -> bytes:
    if digits and (not digits.isdigit() or not digits.isascii()):  # "" = blank item (all F)
        raise EhcError(CARD_BAD_ENCODING, "CN item takes decimal digits only", length=length)
    if len(digits) > 2 * length:
        raise EhcError(
            CARD_BAD_ENCODING, "too many digits for the CN item", length=length, actual=len(digits)
        )
    return bytes.fromhex(digits + "F" * (2 * length - len(digits)))


def decode_cn(raw: bytes) -> str:
    text = bytes(raw).hex().upper()
    digits = text.rstrip("F")
    if not digits.isdigit() and digits:
        raise EhcError(CARD_BAD_ENCODING, "CN item has a non-digit nibble before the F padding")
    return digits


def encode_b(value: bytes, length: int) -> bytes:
    if len(value) != length:
        raise EhcError(CARD_BAD_ENCODING, "B item has the wrong length", length=length, actual=len(value))
    return bytes(value)


def decode_b(raw: bytes) -> bytes:
    return bytes(raw)


def encode(kind: str, value: str | bytes, length: int) -> bytes:
    """Encode ``value`` as item of ``kind`` ("AN", "CN", "B") and ``length`` bytes."""
    if kind == "AN" and isinstance(value, str):
        return encode_an(value, length)
    if kind == "CN" and isinstance(value, str):
        return encode_cn(value, length)
    if kind == "B" and isinstance(value, bytes | bytearray):
        return encode_b(bytes(value), length)
    raise EhcError(CARD_BAD_ENCODING, f"value of type {type(value).__name__} cannot be encoded as {kind}")


def decode(kind: str, raw: bytes) -> str | bytes:
    if kind == "AN":
        return decode_an(raw)
    if kind == "CN":
        return decode_cn(raw)
    if kind == "B":
        return decode_b(raw)
    raise EhcError(CARD_BAD_ENCODING, f"unknown encoding {kind}")
