"""Mask personal identifiers in everything a report keeps (transcripts, failure messages).

Reports travel to evaluators and certification bodies: they must never carry a full citizen ID,
birth-certificate number, phone number or card/person identifier (seed 004 §五(三) privacy).
Masking keeps enough head/tail to correlate steps inside one report.
"""

from __future__ import annotations

import re

from ehc.spec.identifiers import mask_id

# A citizen ID (18 with check digit or X, or 15 legacy digits) standing alone.
_CITIZEN_ID = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_BIRTH_CERT = re.compile(r"(?<![0-9A-Za-z])([A-Z]\d{9})(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")
# EHCIDs and main indexes: 32 or more hex digits in a row (upper or lower case).
_LONG_HEX = re.compile(r"(?<![0-9A-Fa-f])([0-9A-Fa-f]{32,})(?![0-9A-Fa-f])")
# Inside raw bytes: runs of ASCII digits long enough to be an ID or phone number.
_ASCII_ID_BYTES = re.compile(rb"\d{9,17}[\dXx]?")


def mask_hex_identifier(value: str) -> str:
    """``ABCDEF…1234`` style: the first 6 and last 4 hex digits of a long identifier."""
    return f"{value[:6]}…{value[-4:]}({len(value)})"


def mask_bytes(data: bytes) -> bytes:
    """Replace the middle of ASCII digit runs (ID/phone numbers inside card records) with '*'."""

    def repl(m: re.Match[bytes]) -> bytes:
        s = m.group(0)
        keep_head, keep_tail = (6, 4) if len(s) >= 15 else (3, 2)
        return s[:keep_head] + b"*" * (len(s) - keep_head - keep_tail) + s[-keep_tail:]

    return _ASCII_ID_BYTES.sub(repl, data)


def mask_apdu_hex(hex_text: str) -> str:
    """Mask ID numbers carried as ASCII inside an APDU written in hex; other bytes unchanged."""
    try:
        raw = bytes.fromhex(hex_text)
    except ValueError:
        return mask_text(hex_text)
    return mask_bytes(raw).hex().upper()


def mask_text(text: str) -> str:
    """Mask identifiers in free text (messages, request/response dumps)."""
    text = _LONG_HEX.sub(lambda m: mask_hex_identifier(m.group(1)), text)
    text = _CITIZEN_ID.sub(lambda m: mask_id(m.group(1)), text)
    text = _BIRTH_CERT.sub(lambda m: m.group(1)[:2] + "*****" + m.group(1)[-3:], text)
    return _PHONE.sub(lambda m: m.group(1)[:3] + "****" + m.group(1)[-4:], text)


def mask_value(value: object) -> object:
    """Mask every string inside a JSON-like value (dicts, lists, scalars)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, bytes):
        return mask_bytes(value).hex().upper()
    if isinstance(value, dict):
        return {str(k): mask_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_value(v) for v in value]
    return value
