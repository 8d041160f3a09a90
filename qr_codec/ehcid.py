"""Electronic health card ID (电子健康卡ID, EHCID): the national derivation (DIGEST §1.2, confirmed).

1. ``factor`` = M[0:8] ^ M[8:16] ^ M[16:24] ^ M[24:32] over the 32-byte main index ``M``;
2. ``div`` = ``factor || NOT factor``;
3. ``userKey`` = SM4-ECB-Encrypt(root security key, ``div``);
4. ``EHCID`` = upper-case hex of SM4-ECB-Encrypt(userKey, ASCII(T + N) right-padded with 0x00 to
   a whole block). ``01`` + an 18-character ID number gives 32 bytes, so 64 hex digits; numbers of
   14 characters or fewer give 32 hex digits, 31-46 characters give 96.

Speed: building a ``cryptography`` Cipher context costs ~7-10 µs, encrypting one block on a live
context ~0.4 µs. So the root-key encryptor is kept per thread (contexts are not shared across
threads) and user-key contexts sit in a small per-thread LRU, because the node derives or recovers
the same person's EHCID repeatedly (register, then every verify). Without the LRU a fresh person
costs one context build; ``benchmarks/bench_qr.py`` measures both.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ehc.errors import EhcError
from qr_codec.errors import (
    EHCID_BAD_DOC_NUMBER,
    EHCID_BAD_DOC_TYPE,
    EHCID_BAD_FORMAT,
    EHCID_BAD_MAIN_INDEX,
    EHCID_BAD_ROOT_KEY,
    EHCID_DECRYPT_MISMATCH,
    EHCID_LOWERCASE_X,
)

__all__ = [
    "ID_NUMBER_DOC_TYPES",
    "derive_user_key",
    "derive_ehcid",
    "recover_identity",
    "validate_ehcid",
    "clear_caches",
    "USER_KEY_CACHE_SIZE",
]

#: Document types whose number is a GB 11643 citizen ID number (check character upper-case X only):
#: 01 居民身份证, 02 居民户口簿 (the household register lists the same citizen ID number).
ID_NUMBER_DOC_TYPES = frozenset({"01", "02"})
#: Per-thread LRU size for user-key cipher contexts (one entry ~1 KB of OpenSSL state).
USER_KEY_CACHE_SIZE = 4096

_ECB = modes.ECB()
_HEX_UPPER = frozenset("0123456789ABCDEF")
_MASK64 = (1 << 64) - 1


class _Contexts(threading.local):
    """Per-thread cipher contexts: a CipherContext must not be used by two threads at once."""

    def __init__(self) -> None:
        self.root: dict[bytes, object] = {}
        self.user: OrderedDict[tuple[bytes, bytes], list] = OrderedDict()


_ctx = _Contexts()


def clear_caches() -> None:
    """Forget this thread's cached cipher contexts (e.g. after a key rotation)."""
    _ctx.root.clear()
    _ctx.user.clear()


def _check_main_index(main_index: bytes) -> bytes:
    if not isinstance(main_index, (bytes, bytearray, memoryview)) or len(main_index) != 32:
        raise EhcError(EHCID_BAD_MAIN_INDEX, "main index must be 32 bytes (64 hex digits)")
    return bytes(main_index)


def _check_root_key(root_key: bytes) -> bytes:
    if not isinstance(root_key, (bytes, bytearray, memoryview)) or len(root_key) != 16:
        raise EhcError(EHCID_BAD_ROOT_KEY, "root security key must be 16 bytes")
    return bytes(root_key)


def _root_encryptor(root_key: bytes):
    enc = _ctx.root.get(root_key)
    if enc is None:
        if len(_ctx.root) >= 16:  # a handful of roots exist (one per platform); never grow unbounded
            _ctx.root.clear()
        enc = _ctx.root[root_key] = Cipher(algorithms.SM4(root_key), _ECB).encryptor()
    return enc


def _diversifier(main_index: bytes) -> bytes:
    m = int.from_bytes(main_index, "big")
    factor = (m >> 192 ^ m >> 128 ^ m >> 64 ^ m) & _MASK64
    return factor.to_bytes(8, "big") + (factor ^ _MASK64).to_bytes(8, "big")


def derive_user_key(main_index: bytes, root_key: bytes) -> bytes:
    """userKey = SM4-ECB(root_key, factor || NOT factor), factor = XOR of M's four 8-byte groups."""
    main_index = _check_main_index(main_index)
    root_key = _check_root_key(root_key)
    return _root_encryptor(root_key).update(_diversifier(main_index))


def _user_slot(main_index: bytes, root_key: bytes) -> list:
    """[encryptor or None, decryptor or None, user key] for this person, from the per-thread LRU."""
    key = (root_key, main_index)
    cache = _ctx.user
    slot = cache.get(key)
    if slot is not None:
        cache.move_to_end(key)
        return slot
    user_key = _root_encryptor(root_key).update(_diversifier(main_index))
    slot = [None, None, user_key]
    cache[key] = slot
    if len(cache) > USER_KEY_CACHE_SIZE:
        cache.popitem(last=False)
    return slot


def _check_document(doc_type: str, doc_number: str) -> bytes:
    if not (isinstance(doc_type, str) and len(doc_type) == 2 and doc_type.isascii() and doc_type.isdigit()):
        raise EhcError(EHCID_BAD_DOC_TYPE, "document type must be two ASCII digits (CV02.01.101)")
    if not (
        isinstance(doc_number, str)
        and doc_number
        and doc_number.isascii()
        and doc_number.isprintable()
        and " " not in doc_number
    ):
        raise EhcError(EHCID_BAD_DOC_NUMBER, "document number must be non-empty printable ASCII, no spaces")
    if doc_type in ID_NUMBER_DOC_TYPES and "x" in doc_number:
        raise EhcError(EHCID_LOWERCASE_X, "ID number check character must be upper-case X")
    return (doc_type + doc_number).encode("ascii")


def derive_ehcid(main_index: bytes, root_key: bytes, doc_type: str, doc_number: str) -> str:
    """EHCID (upper-case hex) of a person: SM4-ECB(userKey, zero-pad(ASCII(doc_type + doc_number)))."""
    main_index = _check_main_index(main_index)
    root_key = _check_root_key(root_key)
    plain = _check_document(doc_type, doc_number)
    plain += b"\x00" * (-len(plain) % 16)
    slot = _user_slot(main_index, root_key)
    enc = slot[0]
    if enc is None:
        enc = slot[0] = Cipher(algorithms.SM4(slot[2]), _ECB).encryptor()
    return enc.update(plain).hex().upper()


def validate_ehcid(ehcid: str) -> str:
    """Return ``ehcid`` if it is upper-case hex of whole 16-byte blocks, else raise EHCID_BAD_FORMAT."""
    if not isinstance(ehcid, str) or not ehcid or len(ehcid) % 32 or not _HEX_UPPER.issuperset(ehcid):
        raise EhcError(
            EHCID_BAD_FORMAT,
            "EHCID must be upper-case hex of 32, 64, 96... digits",
            length=len(ehcid) if isinstance(ehcid, str) else -1,
        )
    return ehcid


def recover_identity(ehcid: str, main_index: bytes, root_key: bytes) -> tuple[str, str]:
    """Decrypt an EHCID with the person's user key: ``(doc_type, doc_number)``.

    Raises EHCID_DECRYPT_MISMATCH unless the plaintext is exactly two digits + printable ASCII,
    zero-padded by fewer than 16 bytes — which is what a wrong main index or root key breaks.
    """
    validate_ehcid(ehcid)
    main_index = _check_main_index(main_index)
    root_key = _check_root_key(root_key)
    slot = _user_slot(main_index, root_key)
    dec = slot[1]
    if dec is None:
        dec = slot[1] = Cipher(algorithms.SM4(slot[2]), _ECB).decryptor()
    plain = dec.update(bytes.fromhex(ehcid))
    text = plain.rstrip(b"\x00")
    if (
        len(plain) - len(text) >= 16
        or len(text) < 3
        or not text.isascii()
        or not text[:2].isdigit()
        or not all(0x21 <= b <= 0x7E for b in text[2:])
    ):
        raise EhcError(EHCID_DECRYPT_MISMATCH)
    decoded = text.decode("ascii")
    return decoded[:2], decoded[2:]
