"""Byte-exact layout of the resident health card (DIGEST §2.1) and its encodings."""

from __future__ import annotations

import pytest
from ce_helpers import PERSON, hx, run

from card_emulators.engine import SW
from card_emulators.personalities import encodings
from card_emulators.personalities.health_card import card_number_from_atr
from card_emulators.personalities.health_layout import RECORD_FILES
from ehc.errors import EhcError


def _file(card, *path):
    return card.node(*path)


def test_file_sizes_match_the_spec(card):
    assert _file(card, 0xDDF1, 0xEF05).size == 284
    assert _file(card, 0xDDF1, 0xEF06).size == 64
    assert _file(card, 0xDDF1, 0xEF07).size == 2 + 3072
    for n in (1, 2, 3):
        assert _file(card, 0xDDF1, 0xDF03, 0xEE00 | n).size == 1893
    for n in range(1, 6):
        assert _file(card, 0xDDF1, 0xDF03, 0xED00 | n).size == 3267
    assert set(_file(card, 0xDDF1, 0xDF02, 0xEF07).record_sizes) == {120}
    assert set(_file(card, 0xDDF1, 0xDF02, 0xEF08).record_sizes) == {24}
    with pytest.raises(KeyError):
        _file(card, 0xDDF1, 0xDF03, 0xEE04)  # 3 inpatient slots only


def test_ef05_item_order_and_lengths():
    items = RECORD_FILES[(0xDDF1, 0xEF05)]
    assert [i.tag for i in items] == [1, 2, 3, 4, 5, 6, 8, 9, 10, 57]
    assert [i.length for i in items] == [1, 4, 30, 11, 180, 4, 18, 3, 10, 3]
    assert [i.kind for i in items] == ["AN", "AN", "AN", "CN", "B", "CN", "AN", "AN", "AN", "CN"]


def test_read_item_57_by_tag_with_tlv_header(card):
    run(card, "00A4000002DDF1")
    run(card, "00A4000002EF05")
    data, status = run(card, "00B2390005")
    assert status == SW.OK
    assert data == hx("3903 370800")  # city code of area 370811, CN packed BCD


def test_read_by_tag_wrong_le_and_missing_tag(card):
    run(card, "00A4080004DDF1EF05")
    assert run(card, "00B2390004")[1] == 0x6C05
    assert run(card, "00B2070000")[1] == SW.RECORD_NOT_FOUND  # item 7 lives in EF08


def test_whole_ef05_is_284_bytes_of_tlv(card):
    run(card, "00A4080004DDF1EF05")
    total = b""
    for n in range(1, 11):
        data, status = run(card, f"00B2{n:02X}0400")
        assert status == SW.OK
        assert data[1] == len(data) - 2
        total += data
    assert len(total) == 284
    assert run(card, "00B20B0400")[1] == SW.RECORD_NOT_FOUND


def test_holder_items_encoded_exactly(card):
    items = card.items()
    assert items[11] == PERSON.name
    assert card.item_raw(0xDDF1, 0xEF06, 11) == PERSON.name.encode("gb2312") + bytes(30 - 6)
    assert card.item_raw(0xDDF1, 0xEF06, 12) == b"\x01"
    assert card.item_raw(0xDDF1, 0xEF06, 13) == b"\x01"
    assert card.item_raw(0xDDF1, 0xEF06, 14) == hx("19800203")
    assert items[15] == PERSON.id_number
    assert card.item_raw(0xDDF1, 0xEF05, 6) == hx("20240102")
    assert items[8] == PERSON.id_number  # 卡号 equals the holder's ID number (DIGEST §1.1)
    assert len(items[9]) == 3 and items[9].isdigit()


def test_atr_carries_the_card_number_at_hex_chars_10_to_25(card):
    text = card.atr.hex().upper()
    assert text[10:26] == "1001" + "2001" + "00000042"
    assert card_number_from_atr(card.atr) == hx("1001200100000042")
    t0 = card.atr[1]
    assert len(card.atr) == 2 + bin(t0 >> 4).count("1") + (t0 & 0x0F)  # TS T0 + interface + historical


def test_encodings_round_trip_and_errors():
    assert encodings.encode_cn("370800", 3) == hx("370800")
    assert encodings.encode_cn("123", 3) == hx("123FFF")
    assert encodings.decode_cn(hx("123FFF")) == "123"
    assert encodings.encode_an("AB", 4) == b"AB\x00\x00"
    assert encodings.decode_an(encodings.encode_an("健康卡", 10)) == "健康卡"
    for bad in (
        lambda: encodings.encode_cn("12a", 3),
        lambda: encodings.encode_cn("1234567", 3),
        lambda: encodings.encode_an("x" * 5, 4),
        lambda: encodings.encode_an("😀", 8),
        lambda: encodings.decode_cn(hx("1A2F")),
        lambda: encodings.decode_an(hx("B0")),
        lambda: encodings.encode_b(b"12", 3),
    ):
        with pytest.raises(EhcError) as err:
            bad()
        assert err.value.code.name == "CARD_BAD_ENCODING"
