"""The Tencent health-card open platform envelope (HealthCardOpenAPI): signature, paths, result codes.

Pure functions shared by the node's front door (``tencent.py``) and every client of the kit that
speaks the envelope (the conformance suites, the reference HIS in Tencent mode, load tests).

Facts (docs/platforms.md, from the platform's public SDKs):

* ``POST /rest/auth/HealthCard/HealthOpenAuth/AuthObj/getAppToken`` and
  ``POST /rest/auth/HealthCard/HealthOpenPlatform/ISVOpenObj/<operation>``, JSON body
  ``{"commonIn": {appToken, requestId, hospitalId, timestamp, channelNum, sign}, "req": {...}}``;
  answer ``{"commonOut": {requestId, resultCode, errMsg}, "rsp": {...}}``, ``resultCode`` 0 = OK.
* ``sign`` = Base64(SHA-256(``k=v`` pairs of commonIn-minus-sign ∪ req, keys sorted, joined by
  ``&``, empty and null values left out, the app secret appended with no separator)). A value that
  is not a string is written as compact JSON (numbers ``0``, objects with sorted keys), as the
  public Go SDK does.
* The app token lives 7200 s; fetching a new one invalidates the previous one.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

TOKEN_PATH = "/rest/auth/HealthCard/HealthOpenAuth/AuthObj/getAppToken"
OPERATION_PREFIX = "/rest/auth/HealthCard/HealthOpenPlatform/ISVOpenObj/"
TOKEN_LIFETIME_S = 7200

#: resultCode of commonOut. 0 is the platform's; the others are the kit's choice (no public
#: document lists the platform's failure codes): docs/assumptions.md "Tencent envelope".
RESULT_CODES: dict[str, int] = {
    "OK": 0,
    "ENVELOPE_MALFORMED": 10001,
    "FIELD_MISSING": 10002,
    "FIELD_TOO_LONG": 10003,
    "FIELD_BAD_FORMAT": 10004,
    "APP_UNKNOWN": 10010,
    "SIGN_MISMATCH": 10011,
    "TOKEN_INVALID": 10012,
    "TOKEN_SUPERSEDED": 10013,
    "TIMESTAMP_OUT_OF_WINDOW": 10014,
    "REQUEST_ID_REPLAYED": 10015,
    "OPERATION_UNKNOWN": 10016,
    "APP_FORBIDDEN": 10017,
    "APP_NOT_CERTIFIED": 10018,  # 检测备案: no registered PASS certification report (NODE-CERT-001)
    "CARD_UNKNOWN": 20001,
    "CARD_SUSPENDED": 20002,
    "CARD_CANCELLED": 20003,
    "CODE_EXPIRED": 20004,
    "CODE_EXHAUSTED": 20005,
    "CODE_INVALID": 20006,
    "DOCUMENT_INVALID": 20007,
    "IDENTITY_MISMATCH": 20008,
    "CONFLICT": 20009,
    "PERSON_UNKNOWN": 20010,
    "BUSINESS_REFUSED": 20099,
    "SERVICE_UNAVAILABLE": 30001,
    "INTERNAL": 30002,
}


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # JSON numbers go through float64 in the Go SDK: 0.0 is "0"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def sign_input(common_in: Mapping[str, Any], req: Mapping[str, Any]) -> str:
    """The text that is hashed (without the secret): sorted ``k=v`` pairs joined by ``&``."""
    values: dict[str, Any] = {k: v for k, v in common_in.items() if k != "sign"}
    values.update(req)
    parts = []
    for key in sorted(values):
        value = values[key]
        if value is None:
            continue
        rendered = _render(value)
        if rendered == "":
            continue
        parts.append(f"{key}={rendered}")
    return "&".join(parts)


def sign(common_in: Mapping[str, Any], req: Mapping[str, Any], app_secret: str) -> str:
    """``commonIn.sign``: Base64(SHA-256(sign_input + app_secret)), 44 characters."""
    digest = hashlib.sha256((sign_input(common_in, req) + app_secret).encode("utf-8")).digest()
    return base64.b64encode(digest).decode("ascii")


def envelope(
    req: Mapping[str, Any],
    *,
    app_secret: str,
    app_token: str,
    request_id: str,
    hospital_id: str,
    timestamp: int,
    channel_num: int = 0,
) -> dict[str, Any]:
    """A signed request body ``{"commonIn": …, "req": …}``."""
    common_in: dict[str, Any] = {
        "appToken": app_token,
        "requestId": request_id,
        "hospitalId": hospital_id,
        "timestamp": str(timestamp),
        "channelNum": channel_num,
    }
    common_in["sign"] = sign(common_in, req, app_secret)
    return {"commonIn": common_in, "req": dict(req)}


__all__ = [
    "TOKEN_PATH",
    "OPERATION_PREFIX",
    "TOKEN_LIFETIME_S",
    "RESULT_CODES",
    "sign_input",
    "sign",
    "envelope",
]
