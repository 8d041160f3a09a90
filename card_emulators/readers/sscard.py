"""社会保障卡 (social security card) reader simulator: the ``|``-separated basic-information record.

Field order follows the record of DIGEST 1.6 [C]; the field formats are the kit's [I] (documented
in docs/assumptions.md, checked here, adjustable through :class:`SscFormat`):

==  ==========================  =====================================================
 1  issuing area code           6 digits (GB/T 2260)
 2  social security number      18-character citizen ID (GB 11643)
 3  card number                 letter + 8 digits
 4  card identification code    32 upper-case hex; by default starts with the area code
 5  name                        1..30 characters, no '|'
 6  reset information (ATR)     upper-case hex, 4..66 digits, even
 7  spec version                d.dd (e.g. 3.00)
 8  issue date                  YYYYMMDD
 9  expiry date                 YYYYMMDD, after the issue date
10  terminal number             1..20 letters/digits
11  device number               1..20 letters/digits
==  ==========================  =====================================================

A record ends with a trailing ``|`` as the ministry reader interface writes it; parsing accepts it
with or without. Malformed input raises EhcError (SSC_BAD_RECORD / SSC_BAD_FIELD), never another
exception, and errors show masked numbers only.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import asdict, dataclass

from card_emulators.readers.errors import SSC_BAD_FIELD, SSC_BAD_RECORD
from card_emulators.readers.media import MEDIUM_SOCIAL_SECURITY_CARD
from ehc.errors import EhcError
from ehc.gm import sm3
from ehc.spec.identifiers import (
    mask_id,
    validate_social_security_card_number,
    validate_social_security_number,
)
from ehc.spec.model import MediumRead, Person

__all__ = [
    "SscRecord",
    "SscFormat",
    "FIELDS",
    "format_record",
    "parse_record",
    "simulate_from_person",
    "read_ssc",
]

FIELDS = (
    "area_code",
    "social_security_number",
    "card_number",
    "card_identification_code",
    "name",
    "reset_info",
    "spec_version",
    "issue_date",
    "expiry_date",
    "terminal_number",
    "device_number",
)
_AREA = re.compile(r"[1-9]\d{5}")
_HEX32 = re.compile(r"[0-9A-F]{32}")
_ATR = re.compile(r"(?:[0-9A-F]{2}){2,33}")
_VERSION = re.compile(r"\d\.\d{2}")
_TERMINAL = re.compile(r"[0-9A-Za-z]{1,20}")


@dataclass(frozen=True)
class SscFormat:
    """Knobs for the [I] parts of the record format."""

    trailing_separator: bool = True  # emit a final '|'
    identification_starts_with_area: bool = True


DEFAULT_FORMAT = SscFormat()


@dataclass(frozen=True)
class SscRecord:
    area_code: str
    social_security_number: str
    card_number: str
    card_identification_code: str
    name: str
    reset_info: str
    spec_version: str
    issue_date: str
    expiry_date: str
    terminal_number: str
    device_number: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    def __repr__(self) -> str:  # never leak the full number through a log
        return f"SscRecord(area_code={self.area_code!r}, ssn={mask_id(self.social_security_number)!r})"


def _bad(field: str, why: str) -> EhcError:
    return EhcError(SSC_BAD_FIELD, f"{field}: {why}", field=field)


def _date(field: str, text: str) -> _dt.date:
    if len(text) != 8 or not text.isdigit():
        raise _bad(field, "must be YYYYMMDD")
    try:
        return _dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise _bad(field, "not a real date") from None


def _check(rec: SscRecord, fmt: SscFormat) -> SscRecord:
    for field in FIELDS:
        value = getattr(rec, field)
        if not isinstance(value, str):
            raise _bad(field, "must be text")
        if "|" in value or not value.isprintable():
            raise _bad(field, "has a separator or control character")
    if not _AREA.fullmatch(rec.area_code):
        raise _bad("area_code", "must be 6 digits")
    try:
        validate_social_security_number(rec.social_security_number)
    except EhcError as exc:
        raise EhcError(
            SSC_BAD_FIELD,
            f"social_security_number: {exc.message}",
            field="social_security_number",
            cause=exc.code.name,
            number=mask_id(rec.social_security_number),
        ) from None
    try:
        validate_social_security_card_number(rec.card_number)
    except EhcError:
        raise _bad("card_number", "must be a letter and 8 digits") from None
    if not _HEX32.fullmatch(rec.card_identification_code):
        raise _bad("card_identification_code", "must be 32 upper-case hex digits")
    if fmt.identification_starts_with_area and not rec.card_identification_code.startswith(rec.area_code):
        raise _bad("card_identification_code", "does not start with the issuing area code")
    if not rec.name or len(rec.name) > 30:
        raise _bad("name", "must be 1..30 characters")
    if not _ATR.fullmatch(rec.reset_info):
        raise _bad("reset_info", "must be an ATR in upper-case hex (2..33 bytes)")
    if not _VERSION.fullmatch(rec.spec_version):
        raise _bad("spec_version", "must look like 3.00")
    if _date("expiry_date", rec.expiry_date) <= _date("issue_date", rec.issue_date):
        raise _bad("expiry_date", "is not after the issue date")
    for field in ("terminal_number", "device_number"):
        if not _TERMINAL.fullmatch(getattr(rec, field)):
            raise _bad(field, "must be 1..20 letters or digits")
    return rec


def format_record(rec: SscRecord, fmt: SscFormat = DEFAULT_FORMAT) -> str:
    """The reader's output line for a checked record."""
    _check(rec, fmt)
    line = "|".join(getattr(rec, f) for f in FIELDS)
    return line + "|" if fmt.trailing_separator else line


def parse_record(line: str, fmt: SscFormat = DEFAULT_FORMAT) -> SscRecord:
    """Parse one record (trailing '|' and a final line break optional) and check every field."""
    if not isinstance(line, str):
        raise EhcError(SSC_BAD_RECORD, "record must be text")
    line = line.rstrip("\r\n")
    parts = line.split("|")
    if len(parts) == len(FIELDS) + 1 and parts[-1] == "":
        parts.pop()
    if len(parts) != len(FIELDS):
        raise EhcError(
            SSC_BAD_RECORD, f"record has {len(parts)} fields, expected {len(FIELDS)}", fields=len(parts)
        )
    return _check(SscRecord(*parts), fmt)


def simulate_from_person(
    person: Person,
    *,
    issued: _dt.date | None = None,
    terminal_number: str = "T0001",
    device_number: str = "D0001",
    atr_hex: str = "3B6C00000081544D4E910123456789",
    spec_version: str = "3.00",
) -> SscRecord:
    """A plausible reader record for a population person (the card number is taken or derived)."""
    ssn = person.social_security_number or person.id_number
    digest = sm3(ssn.encode()).hex().upper()
    card_number = person.social_security_card_number or "A" + str(int(digest[:12], 16) % 10**8).zfill(8)
    issued = issued or _dt.date(2020, 1, 1)
    try:
        expiry = issued.replace(year=issued.year + 10)
    except ValueError:  # issued on 29 February
        expiry = issued.replace(year=issued.year + 10, day=28)
    rec = SscRecord(
        area_code=person.area_code,
        social_security_number=ssn,
        card_number=card_number,
        card_identification_code=(person.area_code + "D156000005" + digest)[:32],
        name=person.name[:30],
        reset_info=atr_hex.upper(),
        spec_version=spec_version,
        issue_date=issued.strftime("%Y%m%d"),
        expiry_date=expiry.strftime("%Y%m%d"),
        terminal_number=terminal_number,
        device_number=device_number,
    )
    return _check(rec, DEFAULT_FORMAT)


def read_ssc(line: str, fmt: SscFormat = DEFAULT_FORMAT) -> MediumRead:
    """Record -> MediumRead(medium 30, identifier = social security number = citizen ID [I])."""
    rec = parse_record(line, fmt)
    return MediumRead(MEDIUM_SOCIAL_SECURITY_CARD, rec.social_security_number, rec.to_dict())
