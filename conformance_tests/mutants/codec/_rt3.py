"""Helpers of the rt3- codec mutants (red team H5): what a vendor's own validity handling does
with a sealed field before it hands the code to an otherwise correct parser."""

from __future__ import annotations

import datetime as dt
import re

from qr_codec import text as qr_text

CST = dt.timezone(dt.timedelta(hours=8))
DYNAMIC_RE = re.compile(r"([0-9A-F]{32}|[0-9A-F]{64}|[0-9A-F]{96}):0:([0-9A-F]{32})")


def decrypt_field(protect_key: bytes, v: str) -> bytes | None:
    """The 16 plain bytes of a validity field, or None when the key is unusable."""
    try:
        return qr_text._context(qr_text._ctx.dec, protect_key, True).update(bytes.fromhex(v))
    except Exception:  # noqa: BLE001 - the reference parser reports the key error itself
        return None


def bcd_digits(plain: bytes) -> list[int] | None:
    """The seven BCD bytes as numbers 0..99, or None when a nibble is not a digit."""
    out = []
    for b in plain[:7]:
        hi, lo = b >> 4, b & 15
        if hi > 9 or lo > 9:
            return None
        out.append(hi * 10 + lo)
    return out


def reseal(text: str, protect_key: bytes, when: dt.datetime) -> str:
    """The same code with its validity field sealed for ``when`` (the vendor's reading of it)."""
    ehcid, _ = text.rsplit(":0:", 1)
    return f"{ehcid}:0:{qr_text.seal_validity(protect_key, when)}"
