"""Independent oracle of the national algorithms (DIGEST §1.2, §1.3), written from the digest with
``ehc.gm`` only, so the suites check a DUT against a second implementation rather than against
the reference implementation's own code.
"""

from __future__ import annotations

import datetime as dt

from ehc.gm import sm4_ecb_decrypt, sm4_ecb_encrypt


def diversify(main_index: bytes) -> bytes:
    """factor = XOR of the four 8-byte groups; div = factor || NOT(factor)."""
    factor = bytes(8)
    for i in range(0, 32, 8):
        factor = bytes(a ^ b for a, b in zip(factor, main_index[i : i + 8], strict=True))
    return factor + bytes(b ^ 0xFF for b in factor)


def user_key(main_index: bytes, root_key: bytes) -> bytes:
    return sm4_ecb_encrypt(root_key, diversify(main_index))


def ehcid(main_index: bytes, root_key: bytes, doc_type: str, doc_number: str) -> str:
    plain = (doc_type + doc_number).encode("ascii")
    plain += b"\x00" * (-len(plain) % 16)
    return sm4_ecb_encrypt(user_key(main_index, root_key), plain).hex().upper()


def recover(ehcid_hex: str, main_index: bytes, root_key: bytes) -> str:
    """Document type + number carried by an EHCID."""
    plain = sm4_ecb_decrypt(user_key(main_index, root_key), bytes.fromhex(ehcid_hex))
    return plain.rstrip(b"\x00").decode("ascii")


def seal_validity(protect_key: bytes, when: dt.datetime) -> str:
    """V = SM4-ECB(protect key, BCD(YYYYMMDDHHMMSS) ‖ 9×00), upper-case hex."""
    digits = when.strftime("%Y%m%d%H%M%S")
    bcd = bytes(int(digits[i]) << 4 | int(digits[i + 1]) for i in range(0, 14, 2))
    return sm4_ecb_encrypt(protect_key, bcd + bytes(9)).hex().upper()


def open_validity(protect_key: bytes, v: str) -> str:
    """The 14-digit wall-clock time sealed in ``V`` (no validation beyond the BCD nibbles)."""
    plain = sm4_ecb_decrypt(protect_key, bytes.fromhex(v))
    return plain[:7].hex()
