"""The Sichuan (Mianyang) JSON envelope: AES-encrypted ``bizContent`` under an MD5 ``digest``.

Pure functions shared by the node's front door (``sichuan.py``) and its clients
(``sichuan_client.py``, the tests). Facts: the envelope fields (code, message, method 50, appId 32,
version 10, timestamp ms, digestType 10, digest 256, bizContent AES) and the signing string
(ASCII-sorted non-empty ``k=v&`` pairs followed by ``key=<MD5Key>``). Choices (docs/platforms.md
"Sichuan"): the digest is upper-case MD5 hex over every envelope field but ``digest`` with
``bizContent`` in its transmitted (encrypted) form, so a node checks it before decrypting anything;
AES-128-ECB/PKCS#7, base64 (or AES-128-CBC with a random IV in front of the ciphertext); the MD5Key
and the AES key of an app are derived from its terminal's credential secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ehc.gm import sm3
from reference_node.platforms import loads_json

PATH = "/sichuan/gateway"
VERSION = "1.0"
DIGEST_TYPE = "MD5"
AES_MODES = ("ECB", "CBC")
DEFAULT_AES_MODE = "ECB"
#: the environment variable that switches the node's AES mode (ECB default)
AES_MODE_ENV = "EHC_SICHUAN_AES_MODE"

#: envelope fields and their longest value (public lengths; code/message are the answer's)
ENVELOPE_FIELDS: dict[str, int] = {
    "method": 50,
    "appId": 32,
    "version": 10,
    "timestamp": 13,
    "digestType": 10,
    "digest": 256,
    "bizContent": 16384,
}
METHODS = (
    "healthcard.register",
    "healthcard.qrcode.get",
    "healthcard.qrcode.verify",
    "healthcard.usage.report",
)

#: ``code`` of the answer: "0000" = OK; the rest are the kit's choice (docs/assumptions.md)
RESULT_CODES: dict[str, str] = {
    "OK": "0000",
    "MALFORMED": "1001",  # not a UTF-8 JSON object
    "FIELD_MISSING": "1002",
    "FIELD_TOO_LONG": "1003",
    "FIELD_BAD_FORMAT": "1004",
    "APP_UNKNOWN": "1005",
    "DIGEST_MISMATCH": "1006",
    "TIMESTAMP_OUT_OF_WINDOW": "1007",
    "REPLAYED": "1008",
    "DECRYPT_FAILED": "1009",  # bizContent does not decrypt to a JSON object
    "METHOD_UNKNOWN": "1010",
    "FORBIDDEN": "1011",
    "UNSUPPORTED": "1012",  # version or digestType
    "NOT_CERTIFIED": "1013",  # 检测备案: no registered PASS certification report (NODE-CERT-001)
    "CARD_UNKNOWN": "2001",
    "CARD_NOT_USABLE": "2002",
    "CODE_INVALID": "2003",
    "DOCUMENT_INVALID": "2004",
    "ID_LOWERCASE_X": "2005",
    "CONFLICT": "2006",
    "PERSON_UNKNOWN": "2007",
    "REFUSED": "2099",
    "UNAVAILABLE": "9001",
    "INTERNAL": "9999",
}


def md5_key(secret: bytes) -> str:
    """An app's MD5Key: the first 32 lower-case hex of SM3(secret || "sichuan-md5key")."""
    return sm3(bytes(secret) + b"sichuan-md5key").hex()[:32]


def aes_key(secret: bytes) -> bytes:
    """An app's AES-128 key: the first 16 bytes of SM3(secret || "sichuan-aes")."""
    return sm3(bytes(secret) + b"sichuan-aes")[:16]


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def sign_string(fields: Mapping[str, Any], key: str) -> str:
    """Every field but ``digest`` with a non-empty value, ASCII-sorted, as ``k=v&``, then
    ``key=<MD5Key>``."""
    parts = []
    for name in sorted(fields):
        if name == "digest" or fields[name] is None:
            continue
        value = _render(fields[name])
        if value != "":
            parts.append(f"{name}={value}&")
    return "".join(parts) + f"key={key}"


def digest(fields: Mapping[str, Any], key: str) -> str:
    """Upper-case MD5 hex of :func:`sign_string` (UTF-8)."""
    return hashlib.md5(sign_string(fields, key).encode("utf-8")).hexdigest().upper()  # noqa: S324 - the platform's


def encrypt_biz(key: bytes, content: Mapping[str, Any], mode: str = DEFAULT_AES_MODE) -> str:
    """Base64(AES-128-<mode>(PKCS#7(compact UTF-8 JSON))); CBC puts a random IV in front."""
    padder = padding.PKCS7(128).padder()
    data = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    data = padder.update(data) + padder.finalize()
    if mode == "CBC":
        iv = os.urandom(16)
        enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        return base64.b64encode(iv + enc.update(data) + enc.finalize()).decode("ascii")
    if mode != "ECB":
        raise ValueError(f"AES mode must be one of {AES_MODES}")
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 - the platform's
    return base64.b64encode(enc.update(data) + enc.finalize()).decode("ascii")


def decrypt_biz(key: bytes, text: str, mode: str = DEFAULT_AES_MODE) -> dict[str, Any]:
    """Inverse of :func:`encrypt_biz`; ValueError when it does not decrypt to a JSON object."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError("bizContent is not base64") from None
    if mode == "CBC":
        if len(raw) < 32 or len(raw) % 16:
            raise ValueError("bizContent is not IV + whole AES blocks")
        dec = Cipher(algorithms.AES(key), modes.CBC(raw[:16])).decryptor()
        raw = raw[16:]
    else:
        if not raw or len(raw) % 16:
            raise ValueError("bizContent is not whole AES blocks")
        dec = Cipher(algorithms.AES(key), modes.ECB()).decryptor()  # noqa: S305
    unpadder = padding.PKCS7(128).unpadder()
    try:
        data = unpadder.update(dec.update(raw) + dec.finalize()) + unpadder.finalize()
        content = loads_json(data)
    except ValueError:
        raise ValueError("bizContent does not decrypt to UTF-8 JSON") from None
    if not isinstance(content, dict):
        raise ValueError("bizContent is not a JSON object")
    return content


def envelope(
    method: str,
    content: Mapping[str, Any],
    *,
    app_id: str,
    secret: bytes,
    timestamp_ms: int,
    mode: str = DEFAULT_AES_MODE,
) -> dict[str, Any]:
    """A signed request ``{method, appId, version, timestamp, digestType, bizContent, digest}``."""
    body: dict[str, Any] = {
        "method": method,
        "appId": app_id,
        "version": VERSION,
        "timestamp": str(timestamp_ms),
        "digestType": DIGEST_TYPE,
        "bizContent": encrypt_biz(aes_key(secret), content, mode),
    }
    body["digest"] = digest(body, md5_key(secret))
    return body


__all__ = [
    "PATH",
    "VERSION",
    "DIGEST_TYPE",
    "AES_MODES",
    "DEFAULT_AES_MODE",
    "AES_MODE_ENV",
    "ENVELOPE_FIELDS",
    "METHODS",
    "RESULT_CODES",
    "md5_key",
    "aes_key",
    "sign_string",
    "digest",
    "encrypt_biz",
    "decrypt_biz",
    "envelope",
]
