"""Identifiers: GB 11643 citizen ID numbers, 出生医学证明 (birth certificate) numbers, social security
numbers, GB 11714 organisation codes and GB 32100 unified social credit codes.

GB 11643-1999: 6-digit GB/T 2260 area code, 8-digit birth date, 3-digit sequence (odd = male),
check character = "10X98765432"[sum(d_i * w_i) mod 11]. 15-digit legacy numbers have a 2-digit
year and no check character.
"""

from __future__ import annotations

import datetime as _dt
import re

from ehc.errors import (
    BIRTH_CERT_BAD_FORMAT,
    ID_BAD_AREA,
    ID_BAD_BIRTH_DATE,
    ID_BAD_CHARACTER,
    ID_BAD_CHECKSUM,
    ID_BAD_LENGTH,
    ID_EMPTY,
    ID_LOWERCASE_X,
    EhcError,
    define,
)

__all__ = [
    "WEIGHTS",
    "check_character",
    "validate_citizen_id",
    "normalise_citizen_id",
    "make_citizen_id",
    "citizen_id_facts",
    "validate_birth_certificate",
    "mask_id",
    "PROVINCE_PREFIXES",
    "validate_social_security_number",
    "validate_social_security_card_number",
    "ORG_CODE_BAD",
    "USCC_BAD",
    "organisation_code_check",
    "validate_organisation_code",
    "make_organisation_code",
    "uscc_check",
    "validate_uscc",
    "make_uscc",
]

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# GB/T 2260 province-level prefixes (mainland 11-65, Taiwan 71, Hong Kong 81, Macao 82).
PROVINCE_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)
_EARLIEST = _dt.date(1880, 1, 1)
_BIRTH_CERT = re.compile(r"[A-Z][0-9]{9}")
# Social security card number (社会保障卡卡号): 9 characters on the card face. Kit form (an
# assumption, see docs/assumptions.md): one upper-case letter then 8 digits.
_SSC_CARD = re.compile(r"[A-Z][0-9]{8}")


def _beijing_today() -> _dt.date:
    """Birth dates on Chinese documents are Beijing dates (UTC+8), whatever the host's zone."""
    return _dt.datetime.now(_dt.timezone(_dt.timedelta(hours=8))).date()


def check_character(first17: str) -> str:
    """The GB 11643 check character for 17 digits."""
    return _CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def _birth_date(text: str) -> _dt.date:
    try:
        born = _dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise EhcError(ID_BAD_BIRTH_DATE, "birth date is not a real calendar date") from None
    if born < _EARLIEST:
        raise EhcError(ID_BAD_BIRTH_DATE, "birth date before 1880")
    return born


def _check_area(area: str, strict: bool = False) -> None:
    # Structural check only: the province prefix must exist and the city/county parts cannot be
    # all-zero placeholders beyond the province. The full GB/T 2260 table lives in ehc.spec.areas;
    # numbers from areas merged or renamed since issue stay valid, so the table is not enforced here.
    if area[:2] not in PROVINCE_PREFIXES:
        raise EhcError(ID_BAD_AREA, f"unknown province prefix {area[:2]}")
    if strict:
        # Opt-in: the code must be in the kit's table (current or retired codes, plus any loaded
        # with ehc.spec.areas.load_areas). Off by default because the table covers the seed regions.
        from ehc.spec.areas import require_area

        require_area(area)


def normalise_citizen_id(number: str, today: _dt.date | None = None, *, strict_area: bool = False) -> str:
    """Validate a 15- or 18-character citizen ID number and return the 18-character form.

    Raises :class:`EhcError` with a specific code for every way the number can be wrong. A
    lower-case ``x`` is refused (ID_LOWERCASE_X), as one provincial platform does: the spec form
    is upper case and silently fixing it would hide a terminal bug.

    ``strict_area`` additionally requires the area code to be in :mod:`ehc.spec.areas` (current or
    retired). The default is structural only: numbers keep the area code of their issue, and a
    partial table must not reject real people.
    """
    if not number:
        raise EhcError(ID_EMPTY)
    if len(number) not in (15, 18):
        raise EhcError(ID_BAD_LENGTH, f"length {len(number)}")
    body = number if len(number) == 15 else number[:17]
    if not body.isascii() or not body.isdigit():
        raise EhcError(ID_BAD_CHARACTER)
    if len(number) == 18:
        last = number[17]
        if last == "x":
            raise EhcError(ID_LOWERCASE_X)
        if not (last.isascii() and (last.isdigit() or last == "X")):
            raise EhcError(ID_BAD_CHARACTER)
    _check_area(number[:6], strict_area)
    if len(number) == 15:
        # Legacy numbers were issued 1984-1999 to people born in the 1900s.
        body17 = number[:6] + "19" + number[6:]
        _birth_date(body17[6:14])
        return body17 + check_character(body17)
    born = _birth_date(number[6:14])
    if born > (today or _beijing_today()):
        raise EhcError(ID_BAD_BIRTH_DATE, "birth date in the future")
    if check_character(number[:17]) != number[17]:
        raise EhcError(ID_BAD_CHECKSUM)
    return number


def validate_citizen_id(number: str, today: _dt.date | None = None, *, strict_area: bool = False) -> bool:
    """True when the number is a valid 18-character GB 11643 number (15-digit numbers are not)."""
    try:
        return len(number) == 18 and normalise_citizen_id(number, today, strict_area=strict_area) == number
    except EhcError:
        return False


def make_citizen_id(area: str, birth: _dt.date, sequence: int, sex: int | None = None) -> str:
    """Build a valid 18-character number. ``sequence`` 0..999; when ``sex`` (1 male, 2 female) is
    given the sequence's parity is adjusted to match it (odd = male)."""
    if len(area) != 6 or not area.isdigit():
        raise EhcError(ID_BAD_AREA, "area code must be 6 digits")
    _check_area(area)
    sequence %= 1000
    if sex == 1 and sequence % 2 == 0 or sex == 2 and sequence % 2 == 1:
        sequence = (sequence + 1) % 1000
    body = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return body + check_character(body)


def citizen_id_facts(number: str) -> dict[str, str | int]:
    """Area, birth date (ISO) and sex (1 male, 2 female) encoded in a valid number."""
    n = normalise_citizen_id(number)
    return {
        "area": n[:6],
        "birth_date": f"{n[6:10]}-{n[10:12]}-{n[12:14]}",
        "sex": 1 if int(n[16]) % 2 else 2,
    }


def validate_birth_certificate(number: str) -> str:
    """出生医学证明 number: one upper-case letter and 9 digits. Returns it; raises when malformed."""
    if not isinstance(number, str) or not _BIRTH_CERT.fullmatch(number):
        raise EhcError(BIRTH_CERT_BAD_FORMAT)
    return number


def mask_id(number: str, keep_head: int = 6, keep_tail: int = 4) -> str:
    """Mask an identifier for logs and reports: ``370802********1234``. Short values are fully masked."""
    if not number:
        return ""
    if len(number) <= keep_head + keep_tail:
        return "*" * len(number)
    return number[:keep_head] + "*" * (len(number) - keep_head - keep_tail) + number[-keep_tail:]


def validate_social_security_number(number: str, today: _dt.date | None = None) -> str:
    """社会保障号码: the holder's 18-character citizen ID number (GB 11643). Returns it normalised."""
    if len(number) != 18:
        raise EhcError(ID_BAD_LENGTH, "social security number must have 18 characters")
    return normalise_citizen_id(number, today)


def validate_social_security_card_number(number: str) -> str:
    """社会保障卡卡号 in the kit's form (letter + 8 digits). Returns it; raises ID_BAD_CHARACTER."""
    if not isinstance(number, str) or not _SSC_CARD.fullmatch(number):
        raise EhcError(ID_BAD_CHARACTER, "social security card number must be a letter and 8 digits")
    return number


# --- organisations: GB 11714 organisation code and GB 32100 unified social credit code ---------
# Defined here, beside the checks that raise them (ehc range 1xxx, block 1050-1059).
ORG_CODE_BAD = define(
    "ORG_CODE_BAD",
    1050,
    "identifier",
    "organisation code (GB 11714) must be 8 digits/upper-case letters and a check character",
)
USCC_BAD = define(
    "USCC_BAD",
    1051,
    "identifier",
    "unified social credit code (GB 32100) is malformed or its check character does not match",
)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_BODY = re.compile(r"[0-9A-Z]{8}")
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def organisation_code_check(first8: str) -> str:
    """GB 11714 check character: 11 - (sum of value x weight) mod 11; 10 -> X, 11 -> 0.
    Letters count as 10 (A) .. 35 (Z)."""
    if not _ORG_BODY.fullmatch(first8):
        raise EhcError(ORG_CODE_BAD, "organisation code body must be 8 digits or upper-case letters")
    total = sum((int(c, 36)) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    r = 11 - total % 11
    return "X" if r == 10 else "0" if r == 11 else str(r)


def validate_organisation_code(code: str) -> str:
    """A 9-character GB 11714 code, also accepted in the printed form ``XXXXXXXX-X``; returns the
    9 characters without the hyphen."""
    if not isinstance(code, str):
        raise EhcError(ORG_CODE_BAD)
    plain = code[:8] + code[9:] if len(code) == 10 and code[8] == "-" else code
    if len(plain) != 9 or not _ORG_BODY.fullmatch(plain[:8]):
        raise EhcError(ORG_CODE_BAD)
    if organisation_code_check(plain[:8]) != plain[8]:
        raise EhcError(ORG_CODE_BAD, "organisation code check character does not match")
    return plain


def make_organisation_code(body: str) -> str:
    """Append the check character to 8 characters."""
    return body + organisation_code_check(body)


def uscc_check(first17: str) -> str:
    """GB 32100 check character: 31 - (sum of value x weight) mod 31 over the 31-character alphabet."""
    if len(first17) != 17 or any(c not in _USCC_ALPHABET for c in first17):
        raise EhcError(USCC_BAD, "the first 17 characters must come from 0-9 and A-Y without I O S V Z")
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(code: str) -> str:
    """An 18-character unified social credit code (统一社会信用代码): registration authority (1),
    organisation type (1), GB/T 2260 area (6), organisation code body (9), check (1). Structural:
    the area prefix is not looked up (codes keep the area of their registration)."""
    if not isinstance(code, str) or len(code) != 18:
        raise EhcError(USCC_BAD, "unified social credit code must have 18 characters")
    if not code[2:8].isdigit() or code[2:4] not in PROVINCE_PREFIXES:
        raise EhcError(USCC_BAD, "characters 3-8 must be a GB/T 2260 area code")
    if uscc_check(code[:17]) != code[17]:
        raise EhcError(USCC_BAD, "check character does not match")
    return code


def make_uscc(authority: str, org_type: str, area: str, organisation_code: str) -> str:
    """Build a code, e.g. a public hospital: authority ``1`` (机构编制), type ``2`` (事业单位)."""
    validate_organisation_code(organisation_code)
    if len(area) != 6 or not area.isdigit():
        raise EhcError(USCC_BAD, "area code must be 6 digits")
    body = f"{authority}{org_type}{area}{organisation_code}"
    return body + uscc_check(body)
