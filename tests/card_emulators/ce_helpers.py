"""Helpers for the card-emulator tests (a uniquely named module: tests dirs are not packages)."""

from __future__ import annotations

from ehc.spec.model import Person

PERSON = Person(
    person_id="P0000042",
    name="张三丰",
    sex="1",
    nation="01",
    birth_date="1980-02-03",
    id_type="01",
    id_number="11010519491231002X",
    area_code="370811",
    phone="13800000000",
    address="山东省济宁市任城区",
)


def hx(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def sw(resp: bytes) -> int:
    return (resp[-2] << 8) | resp[-1]


def run(card, text: str) -> tuple[bytes, int]:
    """Send an APDU given as hex; return (data, SW)."""
    resp = card.execute(hx(text))
    return resp[:-2], sw(resp)
