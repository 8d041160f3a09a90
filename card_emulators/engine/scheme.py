"""The symmetric-key scheme shared by the user card, the PSAM and the terminal flows [I].

WS/T 543's SAM key management is not public; DIGEST §2.3 fixes the APDUs, the key indexes, the
8-byte diversifiers (card number, city code, card random) and padding ``80 00`` to 16-byte blocks,
which points to a 128-bit block cipher: SM4 in software (SM1 in hardware). The kit defines:

* one diversification level: ``child = SM4_ECB(parent, D || NOT D)`` for an 8-byte diversifier D
  (the PBOC / e-card scheme with SM4's 16-byte block);
* a card key: master diversified by the card number, then (two-level indexes) by the city code;
* a session key: card key diversified by the card's 8-byte challenge R;
* an authentication cryptogram: ``E = SM4_ECB(session, T || 00×8)``, cryptogram = left 8 XOR right 8
  (the observed PSAM flow: CIPHER of T‖00×8, XOR of the halves);
* a MAC: SM4-CBC over ``pad_80(data)`` with a 16×00 IV, first 4 bytes of the last block.

All of it is documented in docs/assumptions.md (card emulators) and changeable by passing another
scheme object to the card and the PSAM.
"""

from __future__ import annotations

from ehc.gm import pad_80, sm4_cbc_encrypt, sm4_ecb_decrypt, sm4_ecb_encrypt

__all__ = [
    "diversify",
    "diversify_chain",
    "fold",
    "auth_cryptogram",
    "mac4",
    "sm_wrap",
    "sm_unwrap",
    "SmError",
]

ZERO_IV = bytes(16)


def diversify(parent: bytes, factor: bytes) -> bytes:
    """One diversification level: SM4_ECB(parent, D || NOT D) for an 8-byte diversifier D."""
    if len(factor) != 8:
        raise ValueError("diversifier must be 8 bytes")
    return sm4_ecb_encrypt(parent, factor + bytes(b ^ 0xFF for b in factor))


def diversify_chain(master: bytes, *factors: bytes) -> bytes:
    key = master
    for factor in factors:
        key = diversify(key, factor)
    return key


def fold(block: bytes) -> bytes:
    """XOR of the two 8-byte halves of a 16-byte block."""
    return bytes(a ^ b for a, b in zip(block[:8], block[8:16], strict=True))


def auth_cryptogram(card_key: bytes, card_random: bytes, terminal_random: bytes) -> bytes:
    """What the terminal must present in EXTERNAL AUTHENTICATE (and the card answers to INTERNAL)."""
    session = diversify(card_key, card_random)
    return fold(sm4_ecb_encrypt(session, terminal_random + bytes(8)))


def mac4(key: bytes, data: bytes, iv: bytes = ZERO_IV) -> bytes:
    """SM4-CBC MAC over pad_80(data), first 4 bytes of the last block."""
    return sm4_cbc_encrypt(key, iv, pad_80(data))[-16:][:4]


class SmError(Exception):
    """Secure-messaging data did not verify (bad MAC or malformed cryptogram)."""


def sm_wrap(session: bytes, header: bytes, plain: bytes) -> bytes:
    """Terminal side of ``04 DC``: enc(L || data || pad) || MAC(header || Lc || enc)."""
    enc = sm4_ecb_encrypt(session, pad_80(bytes([len(plain)]) + plain))
    lc = len(enc) + 4
    return enc + mac4(session, header + bytes([lc]) + enc)


def sm_unwrap(session: bytes, header: bytes, body: bytes) -> bytes:
    """Card side: check the MAC over header || Lc || enc, then decrypt and strip L and padding."""
    if len(body) < 20 or (len(body) - 4) % 16:
        raise SmError("secure-messaging body has a bad length")
    enc, mac = body[:-4], body[-4:]
    if mac4(session, header + bytes([len(body)]) + enc) != mac:
        raise SmError("MAC does not verify")
    plain = sm4_ecb_decrypt(session, enc)
    length = plain[0]
    rest = plain[1 + length :]
    if 1 + length > len(plain) or not rest or rest[0] != 0x80 or any(rest[1:]):
        raise SmError("bad length byte or padding inside the cryptogram")
    return plain[1 : 1 + length]
