"""居民身份证 (second-generation citizen ID card) reader simulator: simulate and parse its output.

The kit simulates what a certified ID-card reader (a 公安部-certified SAM reader) hands to the
terminal after reading the card; it does not emulate the card or the SAM (their protocol is not
public). Two forms, both documented in docs/assumptions.md [I]:

* the **text block** reader SDKs return ("wz.txt"): 256 bytes of UCS-2 little-endian, fixed-width,
  space padded - name 15 chars, sex 1, nation 2, birth date 8, address 35, ID number 18, issuing
  authority 15, validity start 8, validity end 8 (a date or "长期" = long-term), 18 reserved chars;
* the **decoded record**: a JSON object with those fields by name (:meth:`IdCardData.to_dict`).

Parsing either form checks every field and that the birth date and sex agree with the ID number;
malformed input raises EhcError with IDCARD_* codes, never another exception.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import asdict, dataclass
from typing import Any

from card_emulators.readers.errors import IDCARD_BAD_FIELD, IDCARD_BAD_RECORD, IDCARD_INCONSISTENT
from card_emulators.readers.media import MEDIUM_ID_CARD
from ehc.errors import EhcError
from ehc.spec.codes import NATIONS
from ehc.spec.identifiers import citizen_id_facts, mask_id, validate_citizen_id
from ehc.spec.model import MediumRead, Person

__all__ = [
    "IdCardData",
    "TEXT_BLOCK_LAYOUT",
    "TEXT_BLOCK_SIZE",
    "LONG_TERM",
    "encode_text_block",
    "decode_text_block",
    "parse_record",
    "simulate_from_person",
    "validity_years",
    "read_id_card",
]

LONG_TERM = "长期"
# (field, characters) of the 256-byte UCS-2LE text block, in order.
TEXT_BLOCK_LAYOUT: tuple[tuple[str, int], ...] = (
    ("name", 15),
    ("sex", 1),
    ("nation", 2),
    ("birth_date", 8),
    ("address", 35),
    ("id_number", 18),
    ("authority", 15),
    ("valid_from", 8),
    ("valid_to", 8),
    ("reserved", 18),
)
TEXT_BLOCK_SIZE = 2 * sum(n for _, n in TEXT_BLOCK_LAYOUT)  # 256
_FIELDS = (
    "name",
    "sex",
    "nation",
    "birth_date",
    "address",
    "id_number",
    "authority",
    "valid_from",
    "valid_to",
)
_WIDTH = dict(TEXT_BLOCK_LAYOUT)


@dataclass(frozen=True)
class IdCardData:
    """The fields an ID-card reader returns; dates as YYYYMMDD, ``valid_to`` may be "长期"."""

    name: str
    sex: str  # "1" male, "2" female (the card holds GB/T 2261.1 codes)
    nation: str  # GB 3304 two digits
    birth_date: str
    address: str
    id_number: str
    authority: str
    valid_from: str
    valid_to: str

    def to_dict(self) -> dict[str, str]:
        out = asdict(self)
        out["sex_name"] = {"1": "男", "2": "女"}.get(self.sex, "")
        out["nation_name"] = NATIONS[self.nation].zh if self.nation in NATIONS else ""
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    def __repr__(self) -> str:  # the ID number never lands in a log through repr
        return f"IdCardData(id_number={mask_id(self.id_number)!r}, nation={self.nation!r})"


def _date(field: str, text: str) -> _dt.date:
    if len(text) != 8 or not text.isdigit():
        raise EhcError(IDCARD_BAD_FIELD, f"{field} must be YYYYMMDD", field=field)
    try:
        return _dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise EhcError(IDCARD_BAD_FIELD, f"{field} is not a real date", field=field) from None


def _text(field: str, value: object, max_chars: int) -> str:
    if not isinstance(value, str) or not value or len(value) > max_chars:
        raise EhcError(IDCARD_BAD_FIELD, f"{field} must be 1..{max_chars} characters", field=field)
    if not value.isprintable():
        raise EhcError(IDCARD_BAD_FIELD, f"{field} has control characters", field=field)
    return value


def _check(data: IdCardData, *, max_address: int) -> IdCardData:
    _text("name", data.name, _WIDTH["name"])
    _text("address", data.address, max_address)
    _text("authority", data.authority, _WIDTH["authority"])
    if data.sex not in ("1", "2"):
        raise EhcError(IDCARD_BAD_FIELD, "sex must be 1 or 2", field="sex")
    if data.nation not in NATIONS:
        raise EhcError(IDCARD_BAD_FIELD, "nation is not a GB 3304 code", field="nation")
    birth = _date("birth_date", data.birth_date)
    start = _date("valid_from", data.valid_from)
    if data.valid_to != LONG_TERM:
        end = _date("valid_to", data.valid_to)
        if end <= start:
            raise EhcError(IDCARD_BAD_FIELD, "validity ends before it starts", field="valid_to")
    if start < birth:
        raise EhcError(IDCARD_BAD_FIELD, "validity starts before birth", field="valid_from")
    if not isinstance(data.id_number, str) or not validate_citizen_id(data.id_number):
        raise EhcError(
            IDCARD_BAD_FIELD, "ID number fails GB 11643", field="id_number", id=mask_id(str(data.id_number))
        )
    facts = citizen_id_facts(data.id_number)
    if facts["birth_date"] != birth.isoformat():
        raise EhcError(
            IDCARD_INCONSISTENT, "birth date differs from the ID number", id=mask_id(data.id_number)
        )
    if str(facts["sex"]) != data.sex:
        raise EhcError(IDCARD_INCONSISTENT, "sex differs from the ID number", id=mask_id(data.id_number))
    return data


def parse_record(record: dict[str, Any] | str) -> IdCardData:
    """The decoded record (a dict or its JSON text) -> checked IdCardData."""
    if isinstance(record, str):
        try:
            record = json.loads(record)
        except ValueError:
            raise EhcError(IDCARD_BAD_RECORD, "record is not JSON") from None
    if not isinstance(record, dict):
        raise EhcError(IDCARD_BAD_RECORD, "record must be a JSON object")
    missing = [f for f in _FIELDS if f not in record]
    if missing:
        raise EhcError(IDCARD_BAD_RECORD, "record lacks fields", missing=",".join(missing))
    values = {f: record[f] for f in _FIELDS}
    if not all(isinstance(v, str) for v in values.values()):
        raise EhcError(IDCARD_BAD_RECORD, "every field must be a string")
    # The decoded form allows the 70-character address some readers join from the extra block.
    return _check(IdCardData(**values), max_address=70)


def encode_text_block(data: IdCardData) -> bytes:
    """The 256-byte UCS-2LE block; EhcError when a field does not fit its width."""
    _check(data, max_address=_WIDTH["address"])
    parts = []
    for field, width in TEXT_BLOCK_LAYOUT:
        value = "" if field == "reserved" else getattr(data, field)
        if len(value) > width:
            raise EhcError(IDCARD_BAD_FIELD, f"{field} exceeds {width} characters", field=field)
        parts.append(value.ljust(width, " "))
    block = "".join(parts).encode("utf-16-le")
    if len(block) != TEXT_BLOCK_SIZE:  # a character outside the BMP takes 4 bytes in UTF-16
        raise EhcError(IDCARD_BAD_FIELD, "a field has characters outside UCS-2")
    return block


def decode_text_block(block: bytes) -> IdCardData:
    """Parse the 256-byte block back; EhcError on a wrong size, bad UCS-2 or a bad field."""
    if not isinstance(block, (bytes, bytearray)) or len(block) != TEXT_BLOCK_SIZE:
        raise EhcError(IDCARD_BAD_RECORD, f"text block must be {TEXT_BLOCK_SIZE} bytes")
    try:
        text = bytes(block).decode("utf-16-le")
    except UnicodeDecodeError:
        raise EhcError(IDCARD_BAD_RECORD, "text block is not UCS-2") from None
    values: dict[str, str] = {}
    pos = 0
    for field, width in TEXT_BLOCK_LAYOUT:
        values[field] = text[pos : pos + width].rstrip(" ")
        pos += width
    values.pop("reserved")
    return _check(IdCardData(**values), max_address=_WIDTH["address"])


def validity_years(age: int) -> int | None:
    """居民身份证法 art. 5: under 16 -> 5 years, 16-25 -> 10, 26-45 -> 20, over 45 -> long-term (None)."""
    if age < 16:
        return 5
    if age <= 25:
        return 10
    if age <= 45:
        return 20
    return None


def _add_years(day: _dt.date, years: int) -> _dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def simulate_from_person(
    person: Person, *, issued: _dt.date | None = None, authority: str | None = None
) -> IdCardData:
    """The reader output for a population record's ID card (needs a citizen ID, id_type 01)."""
    if person.id_type != "01" or not validate_citizen_id(person.id_number):
        raise EhcError(IDCARD_BAD_FIELD, "person has no citizen ID number", field="id_number")
    birth = _dt.date.fromisoformat(person.birth_date)
    issued = issued or max(birth, _dt.date(2016, 1, 1))
    age = issued.year - birth.year - ((issued.month, issued.day) < (birth.month, birth.day))
    years = validity_years(age)
    valid_to = LONG_TERM if years is None else _add_years(issued, years).strftime("%Y%m%d")
    address = (person.address or f"行政区划{person.area_code}")[: _WIDTH["address"]]
    return _check(
        IdCardData(
            name=person.name[: _WIDTH["name"]],
            sex=person.sex,
            nation=person.nation,
            birth_date=birth.strftime("%Y%m%d"),
            address=address,
            id_number=person.id_number,
            authority=authority or f"模拟公安局{person.area_code}",
            valid_from=issued.strftime("%Y%m%d"),
            valid_to=valid_to,
        ),
        max_address=_WIDTH["address"],
    )


def read_id_card(output: bytes | dict[str, Any] | str | IdCardData) -> MediumRead:
    """Reader output (block, record or data) -> MediumRead(medium 20, identifier = ID number)."""
    if isinstance(output, IdCardData):
        data = _check(output, max_address=70)
    elif isinstance(output, (bytes, bytearray)):
        data = decode_text_block(bytes(output))
    else:
        data = parse_record(output)
    return MediumRead(MEDIUM_ID_CARD, data.id_number, data.to_dict())
