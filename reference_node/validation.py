"""Request field validation: lengths, formats and code tables, each failure with its own code.

Every check raises ``EhcError`` naming the field (``detail["field"]``), never a stack trace.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from ehc.errors import EhcError
from ehc.spec import areas, codes
from ehc.spec.identifiers import normalise_citizen_id, validate_birth_certificate
from reference_node.config import TIME_FORMAT, now_cst, parse_time
from reference_node.errors import (
    CONTEXT_MISMATCH,
    DOCUMENT_INVALID,
    FIELD_BAD_CODE,
    FIELD_BAD_FORMAT,
    FIELD_MISSING,
    FIELD_TOO_LONG,
    USAGE_TIME_IMPLAUSIBLE,
)

_HEX64 = re.compile(r"[0-9A-F]{64}")
_DIGITS = re.compile(r"[0-9]+")
_TOKEN = re.compile(r"[A-Za-z0-9_.:\-]+")
_PHONE = re.compile(r"[0-9+\-() ]*")
_DOC_OTHER = re.compile(r"[A-Za-z0-9()\-]+")
_TIME = re.compile(r"[0-9]{14}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def text(value: str, field: str, *, required: bool = True, max_len: int = 100) -> str:
    if not value:
        if required:
            raise EhcError(FIELD_MISSING, f"{field} is required", field=field)
        return ""
    if len(value) > max_len:
        raise EhcError(FIELD_TOO_LONG, f"{field} is longer than {max_len} characters", field=field)
    if not value.isprintable():
        raise EhcError(FIELD_BAD_FORMAT, f"{field} has control characters", field=field)
    return value


def pattern(
    value: str, field: str, regex: re.Pattern[str], what: str, *, required: bool = True, max_len: int = 64
) -> str:
    text(value, field, required=required, max_len=max_len)
    if value and not regex.fullmatch(value):
        raise EhcError(FIELD_BAD_FORMAT, f"{field} must be {what}", field=field)
    return value


def digits(value: str, field: str, n: int, *, required: bool = True) -> str:
    text(value, field, required=required, max_len=n)
    if value and (len(value) != n or not value.isdigit()):
        raise EhcError(FIELD_BAD_FORMAT, f"{field} must be {n} digits", field=field)
    return value


def code(value: str, field: str, table: codes.CodeTable, *, required: bool = True) -> str:
    text(value, field, required=required, max_len=16)
    if value and value not in table:
        raise EhcError(FIELD_BAD_CODE, f"{field} {value!r} is not a {table.name} code", field=field)
    return value


def ehcid(value: str, field: str = "ehcid") -> str:
    """An EHCID: 32/64/96 upper-case hex (64 for an 18-character ID; other lengths for other documents)."""
    text(value, field, max_len=96)
    if len(value) % 32 or not re.fullmatch(r"[0-9A-F]+", value):
        raise EhcError(
            FIELD_BAD_FORMAT, f"{field} must be upper-case hex, a multiple of 32 digits", field=field
        )
    return value


def main_index(value: str, field: str = "main_index", *, required: bool = True) -> str:
    return pattern(value, field, _HEX64, "64 upper-case hex digits", required=required)


def time14(value: str, field: str, *, required: bool = True) -> str:
    pattern(value, field, _TIME, "YYYYMMDDHHMMSS", required=required, max_len=14)
    if value:
        from datetime import datetime

        try:
            datetime.strptime(value, TIME_FORMAT)
        except ValueError:
            raise EhcError(FIELD_BAD_FORMAT, f"{field} is not a real date-time", field=field) from None
    return value


def iso_date(value: str, field: str, *, required: bool = True) -> str:
    pattern(value, field, _DATE, "YYYY-MM-DD", required=required, max_len=10)
    if value:
        try:
            d = date.fromisoformat(value)
        except ValueError:
            raise EhcError(FIELD_BAD_FORMAT, f"{field} is not a real date", field=field) from None
        # the node's day is Beijing's (a newborn of 00:30 CST is born "tomorrow" by a UTC clock)
        if d.year < 1880 or d > now_cst().date():
            raise EhcError(FIELD_BAD_FORMAT, f"{field} is out of range", field=field)
    return value


def token(value: str, field: str, *, required: bool = True, max_len: int = 64) -> str:
    return pattern(value, field, _TOKEN, "letters, digits and _ . : -", required=required, max_len=max_len)


def phone(value: str, field: str = "phone") -> str:
    return pattern(value, field, _PHONE, "a phone number", required=False, max_len=20)


def document(doc_type: str, number: str, field: str = "document_number") -> str:
    """Validate and normalise a document number for its CV02.01.101 type."""
    code(doc_type, "document_type", codes.DOCUMENT_TYPES)
    text(number, field, max_len=32)
    if doc_type in ("01", "02"):  # household register carries the citizen ID number too
        try:
            return normalise_citizen_id(number)
        except EhcError as err:
            raise EhcError(
                DOCUMENT_INVALID, f"{field}: {err.message}", field=field, cause=err.code.name
            ) from None
    if doc_type == "08":
        try:
            return validate_birth_certificate(number)
        except EhcError as err:
            raise EhcError(
                DOCUMENT_INVALID, f"{field}: {err.message}", field=field, cause=err.code.name
            ) from None
    if not _DOC_OTHER.fullmatch(number):
        raise EhcError(
            DOCUMENT_INVALID, f"{field} has characters not allowed in a document number", field=field
        )
    return number.upper()


def area(value: str, field: str = "area_code", *, required: bool = True) -> str:
    """A GB/T 2260 area code (ID-008): 6 digits and plausible against the kit's table
    (``ehc.spec.areas.plausible_area``; strict with a deployment's full list), else ID_BAD_AREA."""
    digits(value, field, 6, required=required)
    if value:
        try:
            areas.plausible_area(value, what=field)
        except EhcError as err:
            raise EhcError(err.code, err.message, field=field) from None
    return value


def scene_or_step(value: str, field: str = "scene", *, required: bool = True) -> str:
    text(value, field, required=required, max_len=7)
    if value and value not in codes.SCENES and value not in codes.MEDICAL_STEPS:
        raise EhcError(
            FIELD_BAD_CODE, f"{field} {value!r} is neither a scene nor a medical step code", field=field
        )
    return value


def department(value: str, field: str = "department", *, required: bool = False) -> str:
    return code(value, field, codes.DEPARTMENTS, required=required)


def hex_text(value: str, field: str, *, required: bool = True, max_len: int = 80) -> str:
    text(value, field, required=required, max_len=max_len)
    if value and (len(value) % 2 or not re.fullmatch(r"[0-9A-Fa-f]+", value)):
        raise EhcError(FIELD_BAD_FORMAT, f"{field} must be hex bytes", field=field)
    return value.upper()


def usage_record(r: Any, *, check_org: Callable[[str], None], own_terminal: str | None) -> None:
    """Field by field, the rules of a usage record (``UsageRecord``, 用卡数据上报), in one place for
    the node (``services/usage.py``) and the hospital front-end (``frontend/relay.py``), which checks
    them before its own ack so that nothing it acknowledged is refused upstream for a field.

    ``check_org`` raises when ``org_code`` is not the caller's organisation (the node and the
    front-end word it for their callers); ``own_terminal`` is the signing terminal a non-empty
    ``terminal_id`` must name (None: the node's admin, who may report for any terminal).
    Card and time plausibility are the caller's (``usage_time``, the node's card look-up)."""
    token(r.request_id, "request_id", max_len=64)
    time14(r.time, "time")
    token(r.org_code, "org_code", max_len=32)
    check_org(r.org_code)
    text(r.org_name, "org_name", required=False, max_len=100)
    area(r.use_city, "use_city")
    scene_or_step(r.scene, "scene")
    code(r.medical_step, "medical_step", codes.MEDICAL_STEPS, required=False)
    department(r.department)
    code(r.card_type, "card_type", codes.CARD_MEDIA)
    code(r.channel, "channel", codes.CHANNELS)
    code(r.payment_category, "payment_category", codes.PAYMENT_CATEGORIES, required=False)
    code(r.visit_type, "visit_type", codes.VISIT_TYPES, required=False)
    if r.ehcid:
        ehcid(r.ehcid)
    token(r.card_number, "card_number", required=False, max_len=32)
    if not r.ehcid and not r.card_number:
        raise EhcError(
            FIELD_MISSING, "ehcid (e-card) or card_number (physical card) is required", field="ehcid"
        )
    hex_text(r.atr, "atr", required=False, max_len=66)
    token(r.sam_number, "sam_number", required=False, max_len=32)
    token(r.terminal_id, "terminal_id", required=False, max_len=32)
    if r.terminal_id and own_terminal is not None and r.terminal_id != own_terminal:
        # a terminal reports its own uses: another terminal's id would be stored and counted as theirs
        raise EhcError(CONTEXT_MISMATCH, "terminal_id is not the signing terminal", field="terminal_id")


def usage_time(
    value: str, now: datetime, *, max_age_days: int, max_ahead_s: int, clock: str = "the node's clock"
) -> None:
    """REL-F21: the time of a use lies between ``max_age_days`` before and ``max_ahead_s`` after
    ``now`` (a use dated 1900 or 2999 is not evidence). ``value`` has passed ``time14``."""
    delta = (parse_time(value) - now).total_seconds()
    if delta > max_ahead_s or -delta > max_age_days * 86400:
        raise EhcError(
            USAGE_TIME_IMPLAUSIBLE,
            f"time must lie between {max_age_days} days before and {max_ahead_s} s after {clock}",
            field="time",
        )
