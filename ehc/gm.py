"""SM2 / SM3 / SM4 (GM/T 0003, 0004, 0002) in one small facade.

SM3 and SM4 come from ``cryptography`` (OpenSSL). SM2 comes from ``tongsuopy``: it computes the
signer-id digest Z itself only for the default id, so this module computes Z for any signer id and
has tongsuopy sign and verify the 32-byte ``e = SM3(Z || M)`` raw (``EVP_PKEY_sign``), which is the
standard SM2 signature over the message (GM/T 0003.2 §6.1). Tests cross-check every primitive with
the independent pure-Python ``gmssl``.
"""

from __future__ import annotations

import hashlib
import hmac as _hmac
import os
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes as _hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from tongsuopy.backends.tongsuo.backend import backend as _tsb
from tongsuopy.crypto import serialization as _ser
from tongsuopy.crypto.asymciphers import ec as _ec

from ehc.errors import GM_BAD_BLOCK, GM_BAD_KEY, GM_BAD_PADDING, GM_BAD_SIGNATURE, EhcError

__all__ = [
    "DEFAULT_SIGNER_ID",
    "sm3",
    "hmac_sm3",
    "HmacSm3",
    "sm4_ecb_encrypt",
    "sm4_ecb_decrypt",
    "sm4_cbc_encrypt",
    "sm4_cbc_decrypt",
    "pad_80",
    "unpad_80",
    "pad_zero",
    "SM2PrivateKey",
    "SM2PublicKey",
    "sig_raw_to_der",
    "sig_der_to_raw",
]

DEFAULT_SIGNER_ID = b"1234567812345678"
BLOCK = 16

# SM2 curve parameters (GM/T 0003.5), used for Z.
_A = bytes.fromhex("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC")
_B = bytes.fromhex("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93")
_GX = bytes.fromhex("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7")
_GY = bytes.fromhex("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0")
N = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123", 16)


# ---------------------------------------------------------------- SM3
def _sm3_base() -> object | None:
    """An empty hashlib SM3 object (OpenSSL's) to copy from, None when this OpenSSL has no SM3."""
    try:
        return hashlib.new("sm3")
    except ValueError:
        return None


# copying an empty hashlib object is the cheapest way to a new SM3 context (~1.5 µs against ~3 µs
# for a cryptography Hash: this runs once or twice on every signed call the node checks)
_SM3_BASE: Any = _sm3_base()


def _sm3_context(data: bytes = b"") -> Any:
    """A running SM3 context over ``data``: ``update``, ``copy`` and ``digest``."""
    if _SM3_BASE is not None:
        h = _SM3_BASE.copy()
        h.update(data)
        return h
    return _CryptographySm3(data)


class _CryptographySm3:
    """cryptography's SM3 behind hashlib's method names (when hashlib has no SM3)."""

    __slots__ = ("_h",)

    def __init__(self, data: bytes = b"", h: Any = None) -> None:
        self._h = h if h is not None else _hashes.Hash(_hashes.SM3())
        if data:
            self._h.update(data)

    def update(self, data: bytes) -> None:
        self._h.update(data)

    def copy(self) -> _CryptographySm3:
        return _CryptographySm3(h=self._h.copy())

    def digest(self) -> bytes:
        return self._h.copy().finalize()


def sm3(data: bytes) -> bytes:
    """SM3 digest (32 bytes)."""
    if _SM3_BASE is not None:
        h = _SM3_BASE.copy()
        h.update(data)
        return h.digest()
    h2 = _hashes.Hash(_hashes.SM3())
    h2.update(data)
    return h2.finalize()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    """HMAC with SM3 (RFC 2104 construction, 64-byte block)."""
    return _hmac.new(key, data, "sm3").digest() if _SM3_BASE is not None else _hmac_sm3_manual(key, data)


class HmacSm3:
    """HMAC-SM3 under one key, for a key used on many messages (a terminal's secret checked on
    every call). RFC 2104: HMAC = SM3(K^opad || SM3(K^ipad || m)); the first 64-byte block of each
    hash depends on the key alone, so its two SM3 states are computed once here and copied per
    message (~1.7 µs a message against ~4 µs for ``hmac_sm3``, which rebuilds them each time).
    ``digest(m) == hmac_sm3(key, m)`` (tests/ehc/test_gm_crosscheck.py)."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        if len(key) > 64:
            key = sm3(key)
        block = bytes(key).ljust(64, b"\x00")
        self._inner = _sm3_context(bytes(k ^ 0x36 for k in block))
        self._outer = _sm3_context(bytes(k ^ 0x5C for k in block))

    def digest(self, data: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(data)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def __repr__(self) -> str:
        return "HmacSm3(<key>)"  # never the key


def _hmac_sm3_manual(key: bytes, data: bytes) -> bytes:
    if len(key) > 64:
        key = sm3(key)
    key = key.ljust(64, b"\x00")
    inner = sm3(bytes(k ^ 0x36 for k in key) + data)
    return sm3(bytes(k ^ 0x5C for k in key) + inner)


# ---------------------------------------------------------------- SM4
def _check_key(key: bytes) -> None:
    if not isinstance(key, (bytes, bytearray)) or len(key) != 16:
        raise EhcError(GM_BAD_KEY, "SM4 key must be 16 bytes")


def _check_blocks(data: bytes) -> None:
    if len(data) % BLOCK:
        raise EhcError(GM_BAD_BLOCK, f"SM4 data must be a multiple of 16 bytes, got {len(data)}")


def sm4_ecb_encrypt(key: bytes, data: bytes) -> bytes:
    """SM4-ECB without padding; ``data`` must be whole blocks."""
    _check_key(key)
    _check_blocks(data)
    enc = Cipher(algorithms.SM4(bytes(key)), modes.ECB()).encryptor()
    return enc.update(data) + enc.finalize()


def sm4_ecb_decrypt(key: bytes, data: bytes) -> bytes:
    """SM4-ECB decryption without padding."""
    _check_key(key)
    _check_blocks(data)
    dec = Cipher(algorithms.SM4(bytes(key)), modes.ECB()).decryptor()
    return dec.update(data) + dec.finalize()


def sm4_cbc_encrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    """SM4-CBC without padding; ``data`` must be whole blocks."""
    _check_key(key)
    _check_blocks(data)
    if len(iv) != BLOCK:
        raise EhcError(GM_BAD_KEY, "SM4 IV must be 16 bytes")
    enc = Cipher(algorithms.SM4(bytes(key)), modes.CBC(bytes(iv))).encryptor()
    return enc.update(data) + enc.finalize()


def sm4_cbc_decrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    """SM4-CBC decryption without padding."""
    _check_key(key)
    _check_blocks(data)
    if len(iv) != BLOCK:
        raise EhcError(GM_BAD_KEY, "SM4 IV must be 16 bytes")
    dec = Cipher(algorithms.SM4(bytes(key)), modes.CBC(bytes(iv))).decryptor()
    return dec.update(data) + dec.finalize()


def pad_80(data: bytes, block: int = BLOCK) -> bytes:
    """ISO/IEC 9797-1 method 2: append 0x80 then 0x00 to a whole block (always adds one byte)."""
    out = bytes(data) + b"\x80"
    return out + b"\x00" * (-len(out) % block)


def unpad_80(data: bytes) -> bytes:
    """Reverse :func:`pad_80`; raises GM_BAD_PADDING when the padding is not well formed."""
    stripped = bytes(data).rstrip(b"\x00")
    if not stripped or stripped[-1] != 0x80:
        raise EhcError(GM_BAD_PADDING, "no 0x80 padding marker")
    return stripped[:-1]


def pad_zero(data: bytes, block: int = BLOCK) -> bytes:
    """Right-pad with 0x00 to a whole block; no bytes are added to data already aligned (EHCID rule)."""
    return bytes(data) + b"\x00" * (-len(data) % block)


# ---------------------------------------------------------------- SM2
def sig_raw_to_der(raw: bytes) -> bytes:
    """64-byte r||s to DER SEQUENCE { INTEGER r, INTEGER s }."""
    if len(raw) != 64:
        raise EhcError(GM_BAD_SIGNATURE, "raw SM2 signature must be 64 bytes")

    def integer(v: bytes) -> bytes:
        v = v.lstrip(b"\x00") or b"\x00"
        if v[0] & 0x80:
            v = b"\x00" + v
        return b"\x02" + bytes([len(v)]) + v

    body = integer(raw[:32]) + integer(raw[32:])
    return b"\x30" + bytes([len(body)]) + body


def sig_der_to_raw(der: bytes) -> bytes:
    """DER SM2 signature to 64-byte r||s; raises GM_BAD_SIGNATURE on anything malformed."""
    try:
        if der[0] != 0x30 or der[1] != len(der) - 2:
            raise ValueError
        pos, parts = 2, []
        for _ in range(2):
            if der[pos] != 0x02:
                raise ValueError
            ln = der[pos + 1]
            v = der[pos + 2 : pos + 2 + ln]
            if len(v) != ln or ln == 0 or ln > 33 or v[0] & 0x80 or ln > 1 and v[0] == 0 and not v[1] & 0x80:
                raise ValueError
            parts.append(int.from_bytes(v, "big"))
            pos += 2 + ln
        if pos != len(der) or not all(0 < p < N for p in parts):
            raise ValueError
    except (ValueError, IndexError):
        raise EhcError(GM_BAD_SIGNATURE, "malformed DER signature") from None
    return parts[0].to_bytes(32, "big") + parts[1].to_bytes(32, "big")


def _z(public_point: bytes, signer_id: bytes) -> bytes:
    if len(signer_id) * 8 > 0xFFFF:
        raise EhcError(GM_BAD_KEY, "signer id too long")
    return sm3((len(signer_id) * 8).to_bytes(2, "big") + signer_id + _A + _B + _GX + _GY + public_point[1:])


def _pkey_op(key_obj: object, sign: bool, digest: bytes, sig: bytes = b"") -> bytes | bool:
    lib, ffi = _tsb._lib, _tsb._ffi
    ctx = ffi.gc(lib.EVP_PKEY_CTX_new(key_obj._evp_pkey, ffi.NULL), lib.EVP_PKEY_CTX_free)  # type: ignore[attr-defined]
    if sign:
        if lib.EVP_PKEY_sign_init(ctx) != 1:
            raise EhcError(GM_BAD_KEY, "cannot sign with this key")
        size = ffi.new("size_t *", 80)
        buf = ffi.new("unsigned char[]", 80)
        if lib.EVP_PKEY_sign(ctx, buf, size, digest, len(digest)) != 1:
            _tsb._consume_errors()
            raise EhcError(GM_BAD_KEY, "SM2 signing failed")
        return bytes(ffi.buffer(buf)[: size[0]])
    if lib.EVP_PKEY_verify_init(ctx) != 1:
        raise EhcError(GM_BAD_KEY, "cannot verify with this key")
    ok = lib.EVP_PKEY_verify(ctx, sig, len(sig), digest, len(digest)) == 1
    if not ok:
        _tsb._consume_errors()
    return ok


@dataclass(frozen=True)
class SM2PublicKey:
    """An SM2 public key; ``point`` is the 65-byte uncompressed point 04||x||y."""

    point: bytes

    def __post_init__(self) -> None:
        if len(self.point) != 65 or self.point[0] != 4:
            raise EhcError(GM_BAD_KEY, "SM2 public key must be a 65-byte uncompressed point")
        try:
            object.__setattr__(
                self, "_key", _ec.EllipticCurvePublicKey.from_encoded_point(_ec.SM2(), bytes(self.point))
            )
        except ValueError:
            raise EhcError(GM_BAD_KEY, "point is not on the SM2 curve") from None

    @classmethod
    def from_hex(cls, text: str) -> SM2PublicKey:
        try:
            return cls(bytes.fromhex(text))
        except ValueError:
            raise EhcError(GM_BAD_KEY, "public key is not hex") from None

    @classmethod
    def from_pem(cls, pem: bytes) -> SM2PublicKey:
        try:
            key = _ser.load_pem_public_key(pem)
        except (ValueError, TypeError):
            raise EhcError(GM_BAD_KEY, "not an SM2 public key PEM") from None
        return cls(key.public_bytes(_ser.Encoding.X962, _ser.PublicFormat.UncompressedPoint))

    def to_pem(self) -> bytes:
        return self._key.public_bytes(_ser.Encoding.PEM, _ser.PublicFormat.SubjectPublicKeyInfo)  # type: ignore[attr-defined]

    def hex(self) -> str:
        return self.point.hex().upper()

    def digest_for(self, message: bytes, signer_id: bytes = DEFAULT_SIGNER_ID) -> bytes:
        """e = SM3(Z_A || M), the value an SM2 signature actually signs."""
        return sm3(_z(self.point, signer_id) + message)

    def verify(self, signature: bytes, message: bytes, signer_id: bytes = DEFAULT_SIGNER_ID) -> bool:
        """True when ``signature`` (64-byte r||s or DER) is valid over ``message``; never raises on bad input."""
        try:
            der = sig_raw_to_der(signature) if len(signature) == 64 else signature
            sig_der_to_raw(der)  # structural check first: OpenSSL must never see garbage lengths
        except EhcError:
            return False
        return bool(_pkey_op(self._key, False, self.digest_for(message, signer_id), der))  # type: ignore[attr-defined]


class SM2PrivateKey:
    """An SM2 private key. ``repr`` never shows the secret."""

    def __init__(self, key: object) -> None:
        self._key = key
        pub = key.public_key().public_bytes(_ser.Encoding.X962, _ser.PublicFormat.UncompressedPoint)  # type: ignore[attr-defined]
        self.public_key = SM2PublicKey(pub)

    def __repr__(self) -> str:
        return f"SM2PrivateKey(public={self.public_key.hex()[:18]}…)"

    @classmethod
    def generate(cls) -> SM2PrivateKey:
        return cls(_ec.generate_private_key(_ec.SM2()))

    @classmethod
    def from_int(cls, d: int) -> SM2PrivateKey:
        if not 0 < d < N - 1:
            raise EhcError(GM_BAD_KEY, "SM2 private scalar out of range")
        return cls(_ec.derive_private_key(d, _ec.SM2()))

    @classmethod
    def from_bytes(cls, raw: bytes) -> SM2PrivateKey:
        if len(raw) != 32:
            raise EhcError(GM_BAD_KEY, "SM2 private key must be 32 bytes")
        return cls.from_int(int.from_bytes(raw, "big"))

    @classmethod
    def from_pem(cls, pem: bytes) -> SM2PrivateKey:
        try:
            return cls(_ser.load_pem_private_key(pem, password=None))
        except (ValueError, TypeError):
            raise EhcError(GM_BAD_KEY, "not an SM2 private key PEM") from None

    def to_bytes(self) -> bytes:
        return self._key.private_numbers().private_value.to_bytes(32, "big")  # type: ignore[attr-defined]

    def to_pem(self) -> bytes:
        return self._key.private_bytes(  # type: ignore[attr-defined]
            _ser.Encoding.PEM, _ser.PrivateFormat.PKCS8, _ser.NoEncryption()
        )

    def sign(self, message: bytes, signer_id: bytes = DEFAULT_SIGNER_ID, der: bool = False) -> bytes:
        """SM2 signature over ``message`` with ``signer_id``: 64-byte r||s, or DER when ``der``."""
        return self.sign_digest(self.public_key.digest_for(message, signer_id), der=der)

    def sign_digest(self, e: bytes, der: bool = False) -> bytes:
        """Sign a precomputed e = SM3(Z || M) (what a PSAM's sign-hash service does)."""
        if len(e) != 32:
            raise EhcError(GM_BAD_KEY, "SM2 digest must be 32 bytes")
        sig = _pkey_op(self._key, True, e)
        assert isinstance(sig, bytes)
        return sig if der else sig_der_to_raw(sig)


def random_bytes(n: int) -> bytes:
    """Cryptographically secure random bytes (one place to swap in an HSM's RNG)."""
    return os.urandom(n)
