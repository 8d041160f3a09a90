"""Validation of a JSON card image before anything is built from it (REL-F4).

A card image is user input (``ehc card`` commands, conformance drivers load images from disk), so
every field is checked for its JSON type and, for numbers, for the range a real card can have
before a file, region or counter is allocated. An absurd size (``1e308``, ``10**30``) must be a
``CARD_BAD_IMAGE`` answer, never an ``OverflowError`` or a huge allocation. The bounds are the
ISO/IEC 7816-4 short-APDU limits a card of this kit can actually serve; :class:`ImageLimits` holds
them so a larger (test) card can raise them (docs/assumptions.md, "Card image bounds").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from card_emulators.engine.filesystem import PIN_REGION_SIZE, Access
from card_emulators.errors import CARD_BAD_IMAGE
from ehc.errors import EhcError

__all__ = ["ImageLimits", "DEFAULT_LIMITS", "check_image"]

_PATH = re.compile(r"[0-9A-Fa-f]{4}(/[0-9A-Fa-f]{4})*")
_REF = re.compile(r"[0-9A-Fa-f]{2}|[0-9A-Fa-f]{4}")  # 1-byte card key/PIN refs, 2-byte PSAM key indexes
_FILE_TYPES = ("DF", "transparent", "records", "cyclic")
_KEY_BYTES = 16


@dataclass(frozen=True)
class ImageLimits:
    """Bounds of a loadable card image. Defaults: what a short-APDU ISO 7816-4 card can address."""

    max_image_bytes: int = 8 * 1024 * 1024  # the JSON file itself (hex doubles the content)
    max_files: int = 512
    max_path_depth: int = 8  # MF / DDF / ADF / EF is depth 4; room for deeper test trees
    max_transparent_size: int = 0x7FFF  # READ BINARY offsets are 15 bits (P1 b8 = SFI flag)
    max_records: int = 254  # record numbers 01..FE
    max_record_size: int = 255  # one record travels in one short response
    max_total_bytes: int = 1024 * 1024  # whole EEPROM; real cards have 32 KB..512 KB
    max_keys_per_df: int = 64
    max_pins_per_df: int = 16
    max_pin_tries: int = 15  # SW 63Cx reports remaining tries in 4 bits
    max_journal_bytes: int = 64 * 1024
    max_atr_bytes: int = 33  # ISO/IEC 7816-3


DEFAULT_LIMITS = ImageLimits()


def _bad(where: str, what: str) -> EhcError:
    return EhcError(CARD_BAD_IMAGE, f"card image field {where}: {what}", field=where)


def _int(value: Any, where: str, low: int, high: int) -> int:
    # bool is an int subclass and a float may be 1e308: only a true JSON integer is a count or a size
    if type(value) is not int or not low <= value <= high:
        raise _bad(where, f"must be an integer {low}..{high}")
    return value


def _str(value: Any, where: str, max_len: int = 256) -> str:
    if not isinstance(value, str) or len(value) > max_len:
        raise _bad(where, f"must be a string of at most {max_len} characters")
    return value


def _hex(value: Any, where: str, max_bytes: int, exact: int | None = None) -> bytes:
    if not isinstance(value, str) or len(value) > 2 * max_bytes + 64:
        raise _bad(where, f"must be hex text of at most {max_bytes} bytes")
    try:
        data = bytes.fromhex(value)
    except ValueError:
        raise _bad(where, "is not hex") from None
    if len(data) > max_bytes or (exact is not None and len(data) != exact):
        size = exact if exact is not None else f"at most {max_bytes}"
        raise _bad(where, f"must hold {size} bytes, holds {len(data)}")
    return data


def _list(value: Any, where: str, max_len: int, min_len: int = 0) -> list[Any]:
    if not isinstance(value, list) or not min_len <= len(value) <= max_len:
        raise _bad(where, f"must be a list of {min_len}..{max_len} entries")
    return value


def _dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(where, "must be an object")
    return value


def _access(value: Any, where: str) -> None:
    text = _str(value, where, 32)
    try:
        access = Access.parse(text)
    except ValueError:
        raise _bad(where, "is not an access condition (free, never, pin, auth:KK, …+sm:KK)") from None
    for key in (access.key, access.sm_key):
        if key is not None and not 0 <= key <= 0xFFFF:
            raise _bad(where, "key reference out of range")


def _check_df(entry: dict[str, Any], where: str, limits: ImageLimits) -> None:
    if "name" in entry:
        _hex(entry["name"], f"{where}.name", 16)  # AID: at most 16 bytes
    for i, key in enumerate(_list(entry.get("keys", []), f"{where}.keys", limits.max_keys_per_df)):
        at = f"{where}.keys[{i}]"
        key = _dict(key, at)
        if not _REF.fullmatch(_str(key.get("ref"), f"{at}.ref", 4)):
            raise _bad(f"{at}.ref", "must be 2 or 4 hex digits")
        _str(key.get("usage"), f"{at}.usage", 16)
        _str(key.get("label", ""), f"{at}.label")
        _int(key.get("max_tries"), f"{at}.max_tries", 0, 255)  # 0xFF = unlimited
        _int(key.get("tries_left"), f"{at}.tries_left", 0, 255)
        _hex(key.get("value_test_only"), f"{at}.value_test_only", _KEY_BYTES, exact=_KEY_BYTES)
    for i, pin in enumerate(_list(entry.get("pins", []), f"{where}.pins", limits.max_pins_per_df)):
        at = f"{where}.pins[{i}]"
        pin = _dict(pin, at)
        if not re.fullmatch(r"[0-9A-Fa-f]{2}", _str(pin.get("ref"), f"{at}.ref", 2)):
            raise _bad(f"{at}.ref", "must be 2 hex digits")
        _int(pin.get("max_tries"), f"{at}.max_tries", 1, limits.max_pin_tries)
        _int(pin.get("puk_max_tries"), f"{at}.puk_max_tries", 1, limits.max_pin_tries)
        _hex(pin.get("state_test_only"), f"{at}.state_test_only", PIN_REGION_SIZE, exact=PIN_REGION_SIZE)


def _check_ef(entry: dict[str, Any], kind: str, where: str, limits: ImageLimits) -> int:
    """Check an EF entry; return the bytes of memory it occupies."""
    if entry.get("sfi") is not None:
        _int(entry["sfi"], f"{where}.sfi", 1, 30)  # 5-bit SFI; 0 and 31 are reserved
    _access(entry.get("read"), f"{where}.read")
    _access(entry.get("update"), f"{where}.update")
    if kind == "transparent":
        size = _int(entry.get("size"), f"{where}.size", 0, limits.max_transparent_size)
        _hex(entry.get("hex"), f"{where}.hex", size, exact=size)
        return size
    if "tlv" in entry and entry["tlv"] is not None and not isinstance(entry["tlv"], bool):
        raise _bad(f"{where}.tlv", "must be true or false")
    total = 0
    records = _list(entry.get("records"), f"{where}.records", limits.max_records, min_len=1)
    for i, record in enumerate(records):
        at = f"{where}.records[{i}]"
        record = _dict(record, at)
        size = _int(record.get("size"), f"{at}.size", 1, limits.max_record_size)
        _str(record.get("item", ""), f"{at}.item")
        _hex(record.get("hex"), f"{at}.hex", size, exact=size)
        total += size
    if kind == "cyclic":
        pointer = _list(entry.get("newest_and_count"), f"{where}.newest_and_count", 2, min_len=2)
        _int(pointer[0], f"{where}.newest_and_count[0]", 0, len(records) - 1)
        _int(pointer[1], f"{where}.newest_and_count[1]", 0, len(records))
    return total


def check_image(image: Any, limits: ImageLimits = DEFAULT_LIMITS) -> None:
    """Raise EhcError(CARD_BAD_IMAGE) naming the first field of ``image`` that no card can have.

    Checks types and bounds only; the tree's structure (parents exist, FIDs unique) is checked
    while it is built.
    """
    image = _dict(image, "(image)")
    _hex(image.get("atr"), "atr", limits.max_atr_bytes)
    if len(bytes.fromhex(image["atr"])) < 2:
        raise _bad("atr", "must hold at least TS and T0")
    if image.get("personality") is not None:
        _str(image["personality"], "personality", 32)
    if "t0_get_response" in image and not isinstance(image["t0_get_response"], bool):
        raise _bad("t0_get_response", "must be true or false")
    files = _list(image.get("files"), "files", limits.max_files, min_len=1)
    total = 0
    for i, entry in enumerate(files):
        where = f"files[{i}]"
        entry = _dict(entry, where)
        path = _str(entry.get("path"), f"{where}.path", 5 * limits.max_path_depth)
        if not _PATH.fullmatch(path):
            raise _bad(f"{where}.path", "must be 4-hex-digit FIDs joined by '/'")
        _str(entry.get("label", ""), f"{where}.label")
        kind = entry.get("type")
        if kind not in _FILE_TYPES:
            raise _bad(f"{where}.type", f"must be one of {', '.join(_FILE_TYPES)}")
        if kind == "DF":
            _check_df(entry, where, limits)
        else:
            total += _check_ef(entry, kind, where, limits)
        if total > limits.max_total_bytes:
            raise _bad(where, f"card memory over {limits.max_total_bytes} bytes")
    journal = _dict(image.get("journal", {}), "journal")
    _hex(journal.get("hex", ""), "journal.hex", limits.max_journal_bytes)
    _int(journal.get("commit_flag", 0), "journal.commit_flag", 0, 255)
