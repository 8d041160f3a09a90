"""GB 11643 citizen ID numbers, birth-certificate and social security numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
)
from ehc.spec.areas import AREAS, RETIRED
from ehc.spec.identifiers import (
    ORG_CODE_BAD,
    PROVINCE_PREFIXES,
    USCC_BAD,
    check_character,
    citizen_id_facts,
    make_citizen_id,
    make_organisation_code,
    make_uscc,
    mask_id,
    normalise_citizen_id,
    uscc_check,
    validate_birth_certificate,
    validate_citizen_id,
    validate_organisation_code,
    validate_social_security_card_number,
    validate_social_security_number,
    validate_uscc,
)

TODAY = dt.date(2025, 1, 1)

# --- fixed vectors -------------------------------------------------------------------------------
# GB 11643-1999's own example number (Beijing Chaoyang, born 1949-12-31, female).
STANDARD_EXAMPLE = "11010519491231002X"


def test_standard_example_is_valid() -> None:
    assert validate_citizen_id(STANDARD_EXAMPLE, TODAY)
    assert check_character(STANDARD_EXAMPLE[:17]) == "X"
    assert citizen_id_facts(STANDARD_EXAMPLE) == {"area": "110105", "birth_date": "1949-12-31", "sex": 2}


@pytest.mark.parametrize(
    ("legacy", "modern"),
    [
        # 15 digits: area, YYMMDD, 3-digit sequence. "19" goes in after the area code, then the check.
        ("110105491231002", "11010519491231002X"),
        ("370802800101123", "370802198001011235"),
        ("430426751231016", "430426197512310166"),
    ],
)
def test_fifteen_digit_numbers_normalise(legacy: str, modern: str) -> None:
    assert normalise_citizen_id(legacy, TODAY) == modern
    # Independent recomputation of the check character from the published weights.
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    body = legacy[:6] + "19" + legacy[6:]
    assert modern[17] == "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
    assert not validate_citizen_id(legacy, TODAY)  # 15-digit numbers are not valid 18-digit ones


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("", ID_EMPTY),
        ("1101051949123100", ID_BAD_LENGTH),
        ("11010519491231002XX", ID_BAD_LENGTH),
        ("11010519491231002x", ID_LOWERCASE_X),
        ("1101051949123100A2", ID_BAD_CHARACTER),
        ("11010519491231002Y", ID_BAD_CHARACTER),
        ("１10105194912310020", ID_BAD_CHARACTER),  # full-width digit
        ("00010519491231002X", ID_BAD_AREA),
        ("990105194912310027", ID_BAD_AREA),
        ("110105194902300020", ID_BAD_BIRTH_DATE),  # 30 February
        ("110105187912310020", ID_BAD_BIRTH_DATE),  # before 1880
        ("110105209912310020", ID_BAD_BIRTH_DATE),  # future
        ("110105194912310021", ID_BAD_CHECKSUM),
        ("11010549123100A", ID_BAD_CHARACTER),
        ("110105490230002", ID_BAD_BIRTH_DATE),
    ],
)
def test_each_error_code_is_reachable(number: str, code: object) -> None:
    with pytest.raises(EhcError) as err:
        normalise_citizen_id(number, TODAY)
    assert err.value.code is code


def test_strict_area_accepts_current_and_retired_codes_only() -> None:
    assert normalise_citizen_id(STANDARD_EXAMPLE, TODAY, strict_area=True) == STANDARD_EXAMPLE
    retired = make_citizen_id("370802", dt.date(1990, 1, 1), 11)  # 济宁 市中区, merged in 2013
    assert validate_citizen_id(retired, TODAY, strict_area=True)
    unknown = make_citizen_id("370899", dt.date(1990, 1, 1), 11)
    assert validate_citizen_id(unknown, TODAY)  # structural default: the prefix 37 exists
    with pytest.raises(EhcError) as err:
        normalise_citizen_id(unknown, TODAY, strict_area=True)
    assert err.value.code is ID_BAD_AREA


# --- properties -------------------------------------------------------------------------------
areas = st.sampled_from(sorted(c for c in {*AREAS, *RETIRED} if c[2:] != "0000"))
births = st.dates(min_value=dt.date(1880, 1, 1), max_value=TODAY)
sexes = st.sampled_from([1, 2])


@settings(max_examples=300)
@given(areas, births, st.integers(0, 999), sexes)
def test_make_then_validate(area: str, born: dt.date, seq: int, sex: int) -> None:
    number = make_citizen_id(area, born, seq, sex)
    assert len(number) == 18
    assert validate_citizen_id(number, TODAY, strict_area=True)
    assert citizen_id_facts(number) == {"area": area, "birth_date": born.isoformat(), "sex": sex}


@settings(max_examples=300)
@given(areas, births, st.integers(0, 999), st.integers(0, 16), st.integers(1, 9))
def test_one_changed_digit_breaks_the_checksum(
    area: str, born: dt.date, seq: int, pos: int, delta: int
) -> None:
    number = make_citizen_id(area, born, seq)
    changed = number[:pos] + str((int(number[pos]) + delta) % 10) + number[pos + 1 :]
    # mod 11-2 detects every single-digit change; the change may also break the date or area first.
    with pytest.raises(EhcError) as err:
        normalise_citizen_id(changed, TODAY)
    assert err.value.code in (ID_BAD_CHECKSUM, ID_BAD_BIRTH_DATE, ID_BAD_AREA)
    if pos >= 14:  # sequence digits: nothing but the checksum can catch it
        assert err.value.code is ID_BAD_CHECKSUM


@settings(max_examples=200)
@given(areas, births, st.integers(0, 999))
def test_adjacent_transposition_is_detected(area: str, born: dt.date, seq: int) -> None:
    number = make_citizen_id(area, born, seq)
    for i in range(14, 16):  # transposing sequence digits leaves date and area intact
        a, b = number[i], number[i + 1]
        if a != b:
            swapped = number[:i] + b + a + number[i + 2 :]
            assert not validate_citizen_id(swapped, TODAY)


@settings(max_examples=300)
@given(st.text(max_size=20))
def test_arbitrary_text_raises_only_ehc_error(text: str) -> None:
    try:
        normal = normalise_citizen_id(text, TODAY)
    except EhcError:
        return
    assert validate_citizen_id(normal, TODAY)


def test_make_rejects_bad_area() -> None:
    with pytest.raises(EhcError) as err:
        make_citizen_id("99000", dt.date(2000, 1, 1), 1)
    assert err.value.code is ID_BAD_AREA
    assert {c[:2] for c in AREAS} <= PROVINCE_PREFIXES


# --- other identifiers ---------------------------------------------------------------------------
@pytest.mark.parametrize("good", ["A123456789", "Z000000000", "P370012345"])
def test_birth_certificate_good(good: str) -> None:
    assert validate_birth_certificate(good) == good


@pytest.mark.parametrize("bad", ["", "a123456789", "A12345678", "A1234567890", "1234567890", "AB23456789"])
def test_birth_certificate_bad(bad: str) -> None:
    with pytest.raises(EhcError) as err:
        validate_birth_certificate(bad)
    assert err.value.code is BIRTH_CERT_BAD_FORMAT


def test_social_security_numbers() -> None:
    assert validate_social_security_number(STANDARD_EXAMPLE, TODAY) == STANDARD_EXAMPLE
    with pytest.raises(EhcError) as err:
        validate_social_security_number("110105491231002", TODAY)
    assert err.value.code is ID_BAD_LENGTH
    assert validate_social_security_card_number("A12345678") == "A12345678"
    for bad in ("a12345678", "A1234567", "123456789", "A123456789"):
        with pytest.raises(EhcError):
            validate_social_security_card_number(bad)


def test_mask_keeps_only_head_and_tail() -> None:
    assert mask_id(STANDARD_EXAMPLE) == "110105********002X"
    assert mask_id("A123456789") == "**********"
    assert mask_id("") == ""


# --- organisation codes ---------------------------------------------------------------------------
# GB 11714's example D2143569-X; real unified social credit codes (public registers) whose check
# characters and embedded GB 11714 codes are known to be right.
REAL_USCC = ["91440300708461136T", "91110000802100433B", "9111000010169286X1"]


def test_organisation_code_vectors() -> None:
    assert validate_organisation_code("D2143569-X") == "D2143569X"
    assert validate_organisation_code("D2143569X") == "D2143569X"
    assert validate_organisation_code("708461136") == "708461136"  # inside 91440300708461136T
    for bad in ("D2143569-1", "d2143569X", "D2143569", "D2143569XX", "D214356*X", "D2143569_X"):
        with pytest.raises(EhcError) as err:
            validate_organisation_code(bad)
        assert err.value.code is ORG_CODE_BAD


@pytest.mark.parametrize("code", REAL_USCC)
def test_uscc_vectors(code: str) -> None:
    assert validate_uscc(code) == code
    assert uscc_check(code[:17]) == code[17]
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(EhcError) as err:
        validate_uscc(wrong)
    assert err.value.code is USCC_BAD


@pytest.mark.parametrize(
    "bad", ["", "9144030070846113", "914403007084611I6T", "91AB0300708461136T", "91990300708461136T"]
)
def test_uscc_malformed(bad: str) -> None:
    with pytest.raises(EhcError) as err:
        validate_uscc(bad)
    assert err.value.code is USCC_BAD


org_bodies = st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8)


@settings(max_examples=200)
@given(org_bodies, areas, st.sampled_from("159"), st.sampled_from("129"))
def test_make_then_validate_uscc(body: str, area: str, authority: str, org_type: str) -> None:
    org = make_organisation_code(body)
    assert validate_organisation_code(org) == org
    assert validate_organisation_code(f"{org[:8]}-{org[8]}") == org
    code = make_uscc(authority, org_type, area, org)
    assert validate_uscc(code) == code
    pos = len(code) - 2
    changed = code[:pos] + ("1" if code[pos] != "1" else "2") + code[pos + 1 :]
    with pytest.raises(EhcError):
        validate_uscc(changed)
