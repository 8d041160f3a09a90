"""Layouts of the signed structures on the card [I] (docs/assumptions.md, card emulators).

Issuer certificate, item 5 (180 bytes, B)::

    off len
      0   1  format version 0x01
      1  11  issuer organisation code (item 4 value, CN)
     12  65  issuer SM2 public key 04||X||Y
     77   4  valid until YYYYMMDD (CN; item 7 of the card)
     81  64  SM2 signature r||s (signer id 1234567812345678) over
             bytes[0:81] || card number (8, ATR) || EF05 records 1,2,3,4,6,8,9,10,57 || EF06 records 11..15
    145  35  reserved, 00

Signer identity of an encounter record (item 212 / 384, 190 bytes)::

      0   1  format version 0x01
      1  18  signer code (AN, e.g. practitioner number)
     19  30  signer name (AN, GB 2312)
     49  11  organisation code (CN)
     60   7  signing time YYYYMMDDhhmmss (CN)
     67  65  signer SM2 public key 04||X||Y
    132  58  reserved, 00

Encounter signature (item 211 / 383, 64 bytes): SM2 r||s over data area || signer identity.
"""

from __future__ import annotations

from dataclasses import dataclass

from card_emulators.errors import CARD_BAD_SIGNATURE
from card_emulators.personalities import encodings
from card_emulators.personalities.health_layout import ENCOUNTER_LAYOUT
from ehc.errors import EhcError
from ehc.gm import SM2PrivateKey, SM2PublicKey

__all__ = [
    "ISSUER_SIGNED_TAGS",
    "HOLDER_SIGNED_TAGS",
    "issuer_tbs",
    "build_issuer_certificate",
    "verify_issuer_certificate",
    "SignerIdentity",
    "build_encounter_record",
    "verify_encounter_record",
]

CERT_SIZE = 180
IDENTITY_SIZE = 190
SIGNATURE_SIZE = 64
ISSUER_SIGNED_TAGS = (1, 2, 3, 4, 6, 8, 9, 10, 57)
HOLDER_SIGNED_TAGS = (11, 12, 13, 14, 15)


def issuer_tbs(header: bytes, card_number: bytes, records: dict[int, bytes]) -> bytes:
    """What the issuer signs. ``records`` maps tag -> full TLV record as read from the card."""
    try:
        body = b"".join(records[tag] for tag in ISSUER_SIGNED_TAGS + HOLDER_SIGNED_TAGS)
    except KeyError as missing:
        raise EhcError(CARD_BAD_SIGNATURE, f"item {missing} missing for the issuer signature") from None
    return header[:81] + card_number + body


def build_issuer_certificate(
    issuer_key: SM2PrivateKey,
    issuer_code_raw: bytes,
    valid_until_raw: bytes,
    card_number: bytes,
    records: dict[int, bytes],
) -> bytes:
    header = b"\x01" + issuer_code_raw + issuer_key.public_key.point + valid_until_raw
    assert len(header) == 81
    signature = issuer_key.sign(issuer_tbs(header, card_number, records))
    return header + signature + bytes(CERT_SIZE - 81 - SIGNATURE_SIZE)


def verify_issuer_certificate(
    cert: bytes, card_number: bytes, records: dict[int, bytes], trusted: SM2PublicKey | None = None
) -> SM2PublicKey:
    """Check the issuer signature; returns the issuer key. With ``trusted`` the key must match it.

    Raises EhcError(CARD_BAD_SIGNATURE) on any mismatch."""
    if len(cert) != CERT_SIZE or cert[0] != 0x01:
        raise EhcError(CARD_BAD_SIGNATURE, "issuer certificate has a bad length or version")
    try:
        key = SM2PublicKey(bytes(cert[12:77]))
    except EhcError:
        raise EhcError(CARD_BAD_SIGNATURE, "issuer public key is not a curve point") from None
    if trusted is not None and trusted.point != key.point:
        raise EhcError(CARD_BAD_SIGNATURE, "issuer key is not the trusted issuer key")
    if not key.verify(bytes(cert[81:145]), issuer_tbs(bytes(cert), card_number, records)):
        raise EhcError(CARD_BAD_SIGNATURE, "issuer signature does not verify")
    return key


@dataclass(frozen=True, slots=True)
class SignerIdentity:
    code: str
    name: str
    org_code: str
    signed_at: str  # YYYYMMDDhhmmss
    public_key: bytes

    def encode(self) -> bytes:
        raw = (
            b"\x01"
            + encodings.encode_an(self.code, 18)
            + encodings.encode_an(self.name, 30)
            + encodings.encode_cn(self.org_code, 11)
            + encodings.encode_cn(self.signed_at, 7)
            + self.public_key
        )
        if len(raw) != 132:
            raise EhcError(CARD_BAD_SIGNATURE, "signer public key must be 65 bytes")
        return raw + bytes(IDENTITY_SIZE - len(raw))

    @classmethod
    def decode(cls, raw: bytes) -> SignerIdentity:
        if len(raw) != IDENTITY_SIZE or raw[0] != 0x01:
            raise EhcError(CARD_BAD_SIGNATURE, "signer identity has a bad length or version")
        return cls(
            encodings.decode_an(raw[1:19]),
            encodings.decode_an(raw[19:49]),
            encodings.decode_cn(raw[49:60]),
            encodings.decode_cn(raw[60:67]),
            bytes(raw[67:132]),
        )


def build_encounter_record(
    kind: int, data: bytes, signer_key: SM2PrivateKey, identity: SignerIdentity
) -> bytes:
    """The whole EExx (kind 0xEE) / EDxx (0xED) file: data area (00-padded), signature, identity."""
    size = ENCOUNTER_LAYOUT[kind]["data"]
    if len(data) > size:
        raise EhcError(CARD_BAD_SIGNATURE, "encounter data longer than the data area", size=size)
    if identity.public_key != signer_key.public_key.point:
        raise EhcError(CARD_BAD_SIGNATURE, "identity does not carry the signer's public key")
    area = data + bytes(size - len(data))
    ident = identity.encode()
    return area + signer_key.sign(area + ident) + ident


def verify_encounter_record(kind: int, raw: bytes) -> SignerIdentity:
    """Verify an encounter file's signature with the key in its signer identity; returns the identity."""
    size = ENCOUNTER_LAYOUT[kind]["data"]
    if len(raw) != size + SIGNATURE_SIZE + IDENTITY_SIZE:
        raise EhcError(CARD_BAD_SIGNATURE, "encounter record has the wrong size")
    area, sig, ident = raw[:size], raw[size : size + 64], raw[size + 64 :]
    identity = SignerIdentity.decode(ident)
    try:
        key = SM2PublicKey(identity.public_key)
    except EhcError:
        raise EhcError(CARD_BAD_SIGNATURE, "signer public key is not a curve point") from None
    if not key.verify(bytes(sig), bytes(area + ident)):
        raise EhcError(CARD_BAD_SIGNATURE, "encounter signature does not verify")
    return identity
