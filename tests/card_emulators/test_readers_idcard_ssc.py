"""ID-card and social-security-card reader outputs: simulate -> format -> parse round trips, and
malformed outputs rejected with their codes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from card_emulators.readers import idcard, sscard
from ehc.errors import EhcError
from ehc.spec.codes import NATIONS
from ehc.spec.identifiers import make_citizen_id
from ehc.spec.model import Person

AREAS = ["370802", "370302", "430426", "510107", "110101"]
NAME_CHARS = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"


@st.composite
def persons(draw) -> Person:
    birth = draw(st.dates(dt.date(1930, 1, 1), dt.date(2019, 12, 31)))
    sex = draw(st.sampled_from(["1", "2"]))
    area = draw(st.sampled_from(AREAS))
    id_number = make_citizen_id(area, birth, draw(st.integers(0, 999)), int(sex))
    name = draw(st.text(alphabet=NAME_CHARS, min_size=2, max_size=4))
    address = draw(st.text(alphabet=NAME_CHARS + "0123456789号路街", min_size=1, max_size=35))
    return Person(
        person_id="P1",
        name=name,
        sex=sex,
        nation=draw(st.sampled_from([c for c in NATIONS if c not in ("97", "98", "99")])),
        birth_date=birth.isoformat(),
        id_type="01",
        id_number=id_number,
        area_code=area,
        address=address,
        social_security_number=id_number,
    )


# ------------------------------------------------------------------ ID card
@settings(max_examples=60)
@given(persons(), st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)))
def test_id_card_text_block_and_record_round_trip(person: Person, issued: dt.date) -> None:
    data = idcard.simulate_from_person(person, issued=max(issued, dt.date.fromisoformat(person.birth_date)))
    block = idcard.encode_text_block(data)
    assert len(block) == idcard.TEXT_BLOCK_SIZE == 256
    assert idcard.decode_text_block(block) == data
    assert idcard.parse_record(data.to_json()) == data
    read = idcard.read_id_card(block)
    assert read.medium == "20" and read.identifier == person.id_number
    assert read.raw["birth_date"] == person.birth_date.replace("-", "")


@pytest.mark.parametrize(
    ("age", "years"), [(0, 5), (15, 5), (16, 10), (25, 10), (26, 20), (45, 20), (46, None)]
)
def test_validity_period_follows_the_id_card_law(age: int, years: int | None) -> None:
    assert idcard.validity_years(age) == years


def _sample() -> idcard.IdCardData:
    person = Person(
        "P1",
        "王小明",
        "1",
        "01",
        "1990-03-07",
        "01",
        make_citizen_id("370802", dt.date(1990, 3, 7), 13, 1),
        "370802",
        address="济宁市任城区某路1号",
    )
    return idcard.simulate_from_person(person, issued=dt.date(2021, 5, 1))


def test_id_card_sample_values() -> None:
    data = _sample()
    assert data.valid_from == "20210501" and data.valid_to == "20410501"  # aged 31: 20 years
    assert data.to_dict()["sex_name"] == "男" and data.to_dict()["nation_name"] == "汉族"
    assert data.id_number not in repr(data)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"sex": "2"}, "IDCARD_INCONSISTENT"),
        ({"birth_date": "19900308"}, "IDCARD_INCONSISTENT"),
        ({"birth_date": "19900230"}, "IDCARD_BAD_FIELD"),
        ({"nation": "77"}, "IDCARD_BAD_FIELD"),
        ({"name": ""}, "IDCARD_BAD_FIELD"),
        ({"valid_to": "20200101"}, "IDCARD_BAD_FIELD"),
        ({"valid_to": "长久"}, "IDCARD_BAD_FIELD"),
        ({"id_number": "370802199003070130"}, "IDCARD_BAD_FIELD"),
        ({"authority": "x" * 16}, "IDCARD_BAD_FIELD"),
    ],
)
def test_id_card_bad_fields_are_rejected(change: dict, code: str) -> None:
    record = {**_sample().to_dict(), **change}
    with pytest.raises(EhcError) as err:
        idcard.parse_record(record)
    assert err.value.code.name == code
    assert _sample().id_number not in json.dumps(err.value.to_dict(), ensure_ascii=False)


@pytest.mark.parametrize(
    "record", ["not json", "[]", '{"name": "x"}', json.dumps({f: 1 for f in idcard._FIELDS})]
)
def test_id_card_malformed_records(record: str) -> None:
    with pytest.raises(EhcError) as err:
        idcard.parse_record(record)
    assert err.value.code.name == "IDCARD_BAD_RECORD"


@settings(max_examples=60)
@given(st.binary(max_size=300))
def test_id_card_block_parser_only_raises_ehc_errors(block: bytes) -> None:
    with pytest.raises(EhcError):
        idcard.decode_text_block(block)


def test_id_card_long_term_validity_for_the_elderly() -> None:
    person = Person(
        "P2",
        "李老",
        "2",
        "03",
        "1950-01-01",
        "01",
        make_citizen_id("430426", dt.date(1950, 1, 1), 2, 2),
        "430426",
    )
    data = idcard.simulate_from_person(person, issued=dt.date(2022, 1, 1))
    assert data.valid_to == idcard.LONG_TERM
    assert idcard.decode_text_block(idcard.encode_text_block(data)).valid_to == idcard.LONG_TERM


# ------------------------------------------------------------------ social security card
@settings(max_examples=60)
@given(persons(), st.booleans(), st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)))
def test_ssc_record_round_trip(person: Person, trailing: bool, issued: dt.date) -> None:
    fmt = sscard.SscFormat(trailing_separator=trailing)
    rec = sscard.simulate_from_person(person, issued=issued)
    line = sscard.format_record(rec, fmt)
    assert line.count("|") == (11 if trailing else 10)
    assert sscard.parse_record(line, fmt) == rec
    assert sscard.parse_record(line + "\r\n", fmt) == rec
    read = sscard.read_ssc(line)
    assert read.medium == "30" and read.identifier == person.id_number


def _ssc_fields() -> list[str]:
    person = Person(
        "P1",
        "王小明",
        "1",
        "01",
        "1990-03-07",
        "01",
        make_citizen_id("370802", dt.date(1990, 3, 7), 13, 1),
        "370802",
    )
    return sscard.format_record(sscard.simulate_from_person(person)).split("|")[:11]


@pytest.mark.parametrize(
    ("index", "value", "field"),
    [
        (0, "37080", "area_code"),
        (1, "370802199003070131", "social_security_number"),
        (2, "123456789", "card_number"),
        (3, "370802d156000005ABCDEF0123456789", "card_identification_code"),
        (3, "110101D156000005ABCDEF0123456789", "card_identification_code"),
        (4, "", "name"),
        (5, "3B6", "reset_info"),
        (6, "3", "spec_version"),
        (7, "20201301", "issue_date"),
        (8, "20000101", "expiry_date"),
        (9, "T-01", "terminal_number"),
        (10, "", "device_number"),
    ],
)
def test_ssc_bad_fields_are_named(index: int, value: str, field: str) -> None:
    fields = _ssc_fields()
    fields[index] = value
    with pytest.raises(EhcError) as err:
        sscard.parse_record("|".join(fields) + "|")
    assert err.value.code.name == "SSC_BAD_FIELD"
    assert err.value.detail["field"] == field
    assert _ssc_fields()[1] not in str(err.value.to_dict())


@pytest.mark.parametrize("line", ["", "a|b|c", "|" * 13, "1|2|3|4|5|6|7|8|9|10|11|12|"])
def test_ssc_wrong_field_count(line: str) -> None:
    with pytest.raises(EhcError) as err:
        sscard.parse_record(line)
    assert err.value.code.name == "SSC_BAD_RECORD"


@settings(max_examples=80)
@given(st.text(max_size=200))
def test_ssc_parser_only_raises_ehc_errors(line: str) -> None:
    try:
        sscard.parse_record(line)
    except EhcError as exc:
        assert exc.code.name in ("SSC_BAD_RECORD", "SSC_BAD_FIELD")
