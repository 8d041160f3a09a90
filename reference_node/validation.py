"""Request field validation: lengths, formats and code tables, each failure with its own code.

Every check raises ``EhcError`` naming the field (``detail["field"]``), never a stack trace.
"""

from __future__ import annotations

import re
from datetime import date

from ehc.errors import EhcError
from ehc.spec import codes
from ehc.spec.identifiers import normalise_citizen_id, validate_birth_certificate
from reference_node.config import TIME_FORMAT
from reference_node.errors import (
    DOCUMENT_INVALID,
    FIELD_BAD_CODE,
    FIELD_BAD_FORMAT,
    FIELD_MISSING,
    FIELD_TOO_LONG,
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
        if d.year < 1880 or d > date.today():
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
    return digits(value, field, 6, required=required)


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
