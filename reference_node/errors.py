"""Stable error codes of the reference node (4xxx) and their gRPC status codes.

A refused call carries a gRPC status code (what kind of failure) plus the kit's code in trailing
metadata (which failure exactly): ``ehc-error-code`` (name), ``ehc-error-number`` and
``ehc-error-bin`` (a serialized ``ehc.node.v1.ErrorInfo``). The REST gateway returns the same code
as JSON ``{code, number, message}``. Codes raised by ``qr_codec`` (2xxx) pass through unchanged.
"""

from __future__ import annotations

import grpc

from ehc.errors import ErrorCode, define

L = "reference_node"

# --- request validation (41xx) -> INVALID_ARGUMENT
FIELD_MISSING = define("NODE_FIELD_MISSING", 4101, L, "a required field is missing")
FIELD_TOO_LONG = define("NODE_FIELD_TOO_LONG", 4102, L, "a field is longer than allowed")
FIELD_BAD_FORMAT = define("NODE_FIELD_BAD_FORMAT", 4103, L, "a field does not have the required format")
FIELD_BAD_CODE = define("NODE_FIELD_BAD_CODE", 4104, L, "a field's value is not in its code table")
DOCUMENT_INVALID = define(
    "NODE_DOCUMENT_INVALID", 4105, L, "document number is not valid for its document type"
)
# --- authentication / authorisation (42xx) -> UNAUTHENTICATED / PERMISSION_DENIED
AUTH_MISSING = define("NODE_AUTH_MISSING", 4201, L, "call is not signed (x-ehc-* metadata missing)")
# 4202 is kept for the registry's stability; the node answers an unknown terminal with 4203 (REL-F19)
AUTH_UNKNOWN_TERMINAL = define(
    "NODE_AUTH_UNKNOWN_TERMINAL", 4202, L, "terminal or credential unknown (logged only; answered as 4203)"
)
AUTH_BAD_SIGNATURE = define(
    "NODE_AUTH_BAD_SIGNATURE", 4203, L, "terminal unknown or request signature does not verify"
)
AUTH_STALE_TIMESTAMP = define("NODE_AUTH_STALE_TIMESTAMP", 4204, L, "timestamp is outside the replay window")
AUTH_REPLAYED_NONCE = define("NODE_AUTH_REPLAYED_NONCE", 4205, L, "nonce was already used (replay)")
AUTH_CREDENTIAL_REVOKED = define(
    "NODE_AUTH_CREDENTIAL_REVOKED", 4206, L, "credential revoked or terminal certification revoked"
)
FORBIDDEN_ORG = define("NODE_FORBIDDEN_ORG", 4207, L, "terminal may act only within its own organisation")
FORBIDDEN_ADMIN_ONLY = define("NODE_FORBIDDEN_ADMIN_ONLY", 4208, L, "operation needs an admin credential")
FORBIDDEN_ORGANISATION = define(
    "NODE_FORBIDDEN_ORGANISATION",
    4209,
    L,
    "card or person is owned by another organisation: only its issuing organisation's terminals or the admin",
)
CONTEXT_MISMATCH = define(
    "NODE_CONTEXT_MISMATCH", 4210, L, "context terminal_id / org_code is not the signing credential's"
)
# --- cards (43xx)
CARD_UNKNOWN = define("NODE_CARD_UNKNOWN", 4301, L, "no card with this EHCID on this node")
CARD_SUSPENDED = define("NODE_CARD_SUSPENDED", 4302, L, "card is suspended")
CARD_CANCELLED = define("NODE_CARD_CANCELLED", 4303, L, "card is cancelled")
CARD_SUPERSEDED = define("NODE_CARD_SUPERSEDED", 4304, L, "temporary card was upgraded; use the formal card")
CARD_STATE_CONFLICT = define(
    "NODE_CARD_STATE_CONFLICT", 4305, L, "operation not allowed in the card's current state"
)
CARD_NOT_TEMPORARY = define("NODE_CARD_NOT_TEMPORARY", 4306, L, "card is not a temporary card")
IDENTITY_CONFLICT = define("NODE_IDENTITY_CONFLICT", 4307, L, "document already belongs to another person")
EMPI_KEY_REQUIRED = define(
    "NODE_EMPI_KEY_REQUIRED", 4308, L, "profile indexes persons by citizen ID: a formal card needs one"
)
# --- QR codes (44xx); malformed/expired codes are qr_codec's 2xxx codes, passed through
QR_EXHAUSTED = define(
    "NODE_QR_EXHAUSTED", 4404, L, "dynamic code has no remaining verifications (surplusNum 0)"
)
QR_NOT_ISSUED = define("NODE_QR_NOT_ISSUED", 4405, L, "dynamic code was not issued by this node")
QR_REISSUE_REFUSED = define(
    "NODE_QR_REISSUE_REFUSED", 4406, L, "a dynamic code is still valid; re-issue refused by profile"
)
# --- main index (45xx)
PERSON_UNKNOWN = define("NODE_PERSON_UNKNOWN", 4501, L, "no person for this main index")
MEDIUM_UNKNOWN = define("NODE_MEDIUM_UNKNOWN", 4502, L, "medium does not resolve to a person")
MEDIUM_TAKEN = define("NODE_MEDIUM_TAKEN", 4503, L, "medium is already linked to another person")
MERGE_INVALID = define("NODE_MERGE_INVALID", 4504, L, "merge not possible (same, merged or unknown)")
MERGE_UNKNOWN = define("NODE_MERGE_UNKNOWN", 4505, L, "no active merge with this id")
FAMILY_INVALID = define("NODE_FAMILY_INVALID", 4506, L, "family binding not possible")
# hospital self-issued cards (就诊卡, card type 80) under a profile's policy dates (seed 001)
HOSPITAL_CARD_NOT_ISSUED = define(
    "NODE_HOSPITAL_CARD_NOT_ISSUED",
    4507,
    L,
    "hospital self-issued cards are no longer issued (profile stop-issuing date)",
)
HOSPITAL_CARD_REFUSED = define(
    "NODE_HOSPITAL_CARD_REFUSED", 4508, L, "hospital self-issued cards are refused (profile stop-using date)"
)
MEDIUM_NOT_ACCEPTED = define(
    "NODE_MEDIUM_NOT_ACCEPTED", 4509, L, "medium is not among the profile's accepted media"
)
# --- chip card (46xx)
CHIP_UNKNOWN = define("NODE_CHIP_UNKNOWN", 4601, L, "chip card number unknown to the node")
CHIP_ATR_MISMATCH = define("NODE_CHIP_ATR_MISMATCH", 4602, L, "ATR does not match the card on record")
CHIP_SIGNATURE_INVALID = define(
    "NODE_CHIP_SIGNATURE_INVALID", 4603, L, "issuer signature missing or does not verify"
)
# --- usage (47xx)
USAGE_CONFLICT = define(
    "NODE_USAGE_CONFLICT", 4701, L, "request id already used for a different usage record"
)
USAGE_TIME_IMPLAUSIBLE = define(
    "NODE_USAGE_TIME_IMPLAUSIBLE", 4702, L, "usage time is too far in the past or in the future"
)
USAGE_CARD_UNKNOWN = define(
    "NODE_USAGE_CARD_UNKNOWN", 4703, L, "usage record names an EHCID this node never issued"
)
# --- registry (48xx)
ORG_UNKNOWN = define("NODE_ORG_UNKNOWN", 4801, L, "organisation not registered")
TERMINAL_UNKNOWN = define("NODE_TERMINAL_UNKNOWN", 4802, L, "terminal not registered")
TERMINAL_NOT_CERTIFIED = define(
    "NODE_TERMINAL_NOT_CERTIFIED",
    4803,
    L,
    "terminal holds no valid certification report for this node's profile (检测备案)",
)
CERTIFICATE_INVALID = define(
    "NODE_CERTIFICATE_INVALID",
    4804,
    L,
    "certification report refused: unsigned, altered, untrusted key or malformed",
)
CERTIFICATE_UNKNOWN = define("NODE_CERTIFICATE_UNKNOWN", 4805, L, "no such registered certificate")
# refusals of a certification report, each its own code (issue #15); 4804 stays the bad signature /
# altered / malformed report
CERTIFICATE_UNTRUSTED = define(
    "NODE_CERTIFICATE_UNTRUSTED",
    4806,
    L,
    "certification report signed by a key that is not a trusted lab key",
)
CERTIFICATE_NOT_PASS = define(
    "NODE_CERTIFICATE_NOT_PASS", 4807, L, "certification report's verdict is not PASS"
)
CERTIFICATE_WRONG_ROLE = define(
    "NODE_CERTIFICATE_WRONG_ROLE", 4808, L, "certification report is not a terminal's (another role's report)"
)
CERTIFICATE_WRONG_PROFILE = define(
    "NODE_CERTIFICATE_WRONG_PROFILE", 4809, L, "certification report is for another profile than the node's"
)
CERTIFICATE_REVOKED = define(
    "NODE_CERTIFICATE_REVOKED", 4810, L, "certificate was revoked: it cannot be registered again"
)
# --- node (49xx)
KEYS_MISSING = define("NODE_KEYS_MISSING", 4901, L, "key file missing or unreadable")
STORE_ERROR = define("NODE_STORE_ERROR", 4902, L, "database unavailable or failed")
INTERNAL = define("NODE_INTERNAL", 4903, L, "internal error (logged with a request id)")
CONFIG_INVALID = define("NODE_CONFIG_INVALID", 4904, L, "node configuration is invalid")
CLIENT_UNAVAILABLE = define("NODE_CLIENT_UNAVAILABLE", 4905, L, "node not reachable")
REQUEST_TOO_LARGE = define(
    "NODE_REQUEST_TOO_LARGE",
    4906,
    L,
    "request larger than the node's bound (max_request_bytes / max_http_body_bytes)",
)
RATE_LIMITED = define(
    "NODE_RATE_LIMITED",
    4907,
    L,
    "terminal exceeded its call rate (token bucket); retry after the stated delay",
)

STREAMS_EXHAUSTED = define(
    "NODE_STREAMS_EXHAUSTED",
    4908,
    L,
    "too many open streams (per terminal or in all); close one or retry later",
)
STREAM_TIMEOUT = define(
    "NODE_STREAM_TIMEOUT", 4909, L, "stream ended by the node: idle too long or open past its lifetime"
)
REQUEST_TIMEOUT = define(
    "NODE_REQUEST_TIMEOUT", 4910, L, "request body not received within the node's bound (http_body_timeout_s)"
)
# --- node security (H13, issue #13)
SEALED_TAMPERED = define(
    "NODE_SEALED_TAMPERED", 4911, L, "stored encrypted field failed its MAC (tampered); not decrypted"
)
FILE_PERMISSIONS = define(
    "NODE_FILE_PERMISSIONS", 4912, L, "key or credential file readable by group or others (chmod 600 it)"
)
KEK_INVALID = define(
    "NODE_KEK_INVALID", 4913, L, "key-encryption key missing, malformed or not the file's KEK"
)
HOST_REFUSED = define(
    "NODE_HOST_REFUSED", 4914, L, "Host header not in the page's allow-list (DNS rebinding guard)"
)
CSRF_REFUSED = define(
    "NODE_CSRF_REFUSED", 4915, L, "cross-site write refused: no same-origin token or foreign Origin"
)

PORT_BUSY = define(
    "NODE_PORT_BUSY", 4916, L, "a port the node must listen on is taken by another program (pick another)"
)

_STATUS_BY_RANGE: list[tuple[range, grpc.StatusCode]] = [
    (range(4101, 4200), grpc.StatusCode.INVALID_ARGUMENT),
    (range(4201, 4207), grpc.StatusCode.UNAUTHENTICATED),
    (range(4207, 4211), grpc.StatusCode.PERMISSION_DENIED),
]
_STATUS_BY_CODE: dict[str, grpc.StatusCode] = {
    CARD_UNKNOWN.name: grpc.StatusCode.NOT_FOUND,
    PERSON_UNKNOWN.name: grpc.StatusCode.NOT_FOUND,
    MEDIUM_UNKNOWN.name: grpc.StatusCode.NOT_FOUND,
    MERGE_UNKNOWN.name: grpc.StatusCode.NOT_FOUND,
    CHIP_UNKNOWN.name: grpc.StatusCode.NOT_FOUND,
    ORG_UNKNOWN.name: grpc.StatusCode.NOT_FOUND,
    TERMINAL_UNKNOWN.name: grpc.StatusCode.NOT_FOUND,
    TERMINAL_NOT_CERTIFIED.name: grpc.StatusCode.PERMISSION_DENIED,
    CERTIFICATE_UNKNOWN.name: grpc.StatusCode.NOT_FOUND,
    CERTIFICATE_INVALID.name: grpc.StatusCode.INVALID_ARGUMENT,
    CERTIFICATE_UNTRUSTED.name: grpc.StatusCode.FAILED_PRECONDITION,
    CERTIFICATE_NOT_PASS.name: grpc.StatusCode.FAILED_PRECONDITION,
    CERTIFICATE_WRONG_ROLE.name: grpc.StatusCode.FAILED_PRECONDITION,
    CERTIFICATE_WRONG_PROFILE.name: grpc.StatusCode.FAILED_PRECONDITION,
    CERTIFICATE_REVOKED.name: grpc.StatusCode.FAILED_PRECONDITION,
    MEDIUM_TAKEN.name: grpc.StatusCode.ALREADY_EXISTS,
    IDENTITY_CONFLICT.name: grpc.StatusCode.ALREADY_EXISTS,
    USAGE_CONFLICT.name: grpc.StatusCode.ALREADY_EXISTS,
    USAGE_TIME_IMPLAUSIBLE.name: grpc.StatusCode.INVALID_ARGUMENT,
    USAGE_CARD_UNKNOWN.name: grpc.StatusCode.NOT_FOUND,
    QR_NOT_ISSUED.name: grpc.StatusCode.NOT_FOUND,
    CHIP_SIGNATURE_INVALID.name: grpc.StatusCode.PERMISSION_DENIED,
    CHIP_ATR_MISMATCH.name: grpc.StatusCode.PERMISSION_DENIED,
    STORE_ERROR.name: grpc.StatusCode.UNAVAILABLE,
    INTERNAL.name: grpc.StatusCode.INTERNAL,
    CLIENT_UNAVAILABLE.name: grpc.StatusCode.UNAVAILABLE,
    REQUEST_TOO_LARGE.name: grpc.StatusCode.RESOURCE_EXHAUSTED,
    RATE_LIMITED.name: grpc.StatusCode.RESOURCE_EXHAUSTED,
    STREAMS_EXHAUSTED.name: grpc.StatusCode.RESOURCE_EXHAUSTED,
    STREAM_TIMEOUT.name: grpc.StatusCode.DEADLINE_EXCEEDED,
    REQUEST_TIMEOUT.name: grpc.StatusCode.DEADLINE_EXCEEDED,
    KEYS_MISSING.name: grpc.StatusCode.FAILED_PRECONDITION,
    CONFIG_INVALID.name: grpc.StatusCode.FAILED_PRECONDITION,
    SEALED_TAMPERED.name: grpc.StatusCode.DATA_LOSS,
    FILE_PERMISSIONS.name: grpc.StatusCode.FAILED_PRECONDITION,
    KEK_INVALID.name: grpc.StatusCode.FAILED_PRECONDITION,
    HOST_REFUSED.name: grpc.StatusCode.PERMISSION_DENIED,
    CSRF_REFUSED.name: grpc.StatusCode.PERMISSION_DENIED,
}


def grpc_status(code: ErrorCode) -> grpc.StatusCode:
    """The gRPC status code a node error maps to (FAILED_PRECONDITION for state errors)."""
    if code.name in _STATUS_BY_CODE:
        return _STATUS_BY_CODE[code.name]
    for numbers, status in _STATUS_BY_RANGE:
        if code.number in numbers:
            return status
    if code.name in ("QR_EXPIRED", "QR_NOT_YET_VALID"):
        return grpc.StatusCode.FAILED_PRECONDITION  # qr_codec's validity-time codes pass through
    if 2000 <= code.number < 3000 or 1000 <= code.number < 2000:
        return grpc.StatusCode.INVALID_ARGUMENT  # parser / identifier errors of lower layers
    return grpc.StatusCode.FAILED_PRECONDITION


def http_status(code: ErrorCode) -> int:
    """HTTP status for the REST gateway, derived from the gRPC mapping."""
    if code.name in _HTTP_BY_CODE:
        return _HTTP_BY_CODE[code.name]
    return _HTTP.get(grpc_status(code), 400)


_HTTP_BY_CODE = {REQUEST_TOO_LARGE.name: 413, RATE_LIMITED.name: 429, REQUEST_TIMEOUT.name: 408}


_HTTP = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.DATA_LOSS: 500,
}
