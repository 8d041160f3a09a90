"""Resident health card (WS/T 543, DIGEST §2): files, items, commands, status words, authentication.

The card is driven through the ``dut`` adapter's ``transmit``; the lab PSAM (``dut.psam``) is the
lower tester computing cryptograms. Two tests are destructive on a real card (they block RK_DF03
and the user PIN): certify with a sacrificial test card (docs/certification.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .helpers import (
    card_number,
    city_diversifier,
    data,
    external_authenticate,
    open_psam,
    parse_tlv_record,
    read_record,
    select,
    select_path,
    send,
    sw,
)

# DIGEST §2.1 tables (lengths of the value, encoding) — the suite's own copy of the spec.
EF05_ITEMS = {
    1: (1, "AN"),
    2: (4, "AN"),
    3: (30, "AN"),
    4: (11, "CN"),
    5: (180, "B"),
    6: (4, "CN"),
    8: (18, "AN"),
    9: (3, "AN"),
    10: (10, "AN"),
    57: (3, "CN"),
}
EF06_ITEMS = {11: (30, "AN"), 12: (1, "B"), 13: (1, "CN"), 14: (4, "CN"), 15: (18, "AN")}
KNOWN_DDF1_CHILDREN = (0xEF05, 0xEF06, 0xEF07, 0xEF08, 0xDF01, 0xDF02, 0xDF03)
KNOWN_INS = {0xA4, 0xB0, 0xB2, 0xD6, 0xDC, 0x84, 0x82, 0x88, 0x20, 0x24, 0x2C, 0xC0, 0xE2, 0xCA}


@dataclass
class Ctx:
    card_no: bytes
    city: bytes
    keys: dict


@pytest.fixture
def card(dut, profile) -> Ctx:
    dut.reset()
    city = city_diversifier(dut)
    open_psam(dut)
    return Ctx(card_number(dut.atr()), city, profile.param("card.keys"))


def read_all_records(dut, count: int) -> dict[int, bytes]:
    items = {}
    for number in range(1, count + 1):
        record, status = read_record(dut, number)
        if status == 0x6A83:
            break
        assert status == 0x9000, f"READ RECORD {number}: SW {status:04X}"
        tag, value = parse_tlv_record(record)
        items[tag] = value
    return items


def check_cn(tag: int, value: bytes) -> str:
    digits = value.hex().upper()
    stripped = digits.rstrip("F")
    assert stripped.isdigit() or stripped == "", f"item {tag}: CN value {digits} is not BCD"
    assert "F" not in stripped, f"item {tag}: CN padding F must be on the right only ({digits})"
    return stripped


# ------------------------------------------------------------------------------------ files
@pytest.mark.requirement("CARD-FILE-001")
def test_mf_and_ddf1_are_selectable(dut, card):
    for fid in (0x3F00, 0xDDF1):
        status = sw(dut.transmit(bytes.fromhex("00A4000002") + fid.to_bytes(2, "big")))
        assert status == 0x9000 or status >> 8 == 0x61, f"SELECT {fid:04X}: SW {status:04X}"


@pytest.mark.requirement("CARD-FILE-002")
@pytest.mark.parametrize("fid", KNOWN_DDF1_CHILDREN, ids=lambda f: f"{f:04X}")
def test_ddf1_holds_the_spec_files(dut, card, fid):
    assert select_path(dut, 0x3F00, 0xDDF1) == 0x9000
    assert select(dut, fid) == 0x9000, f"{fid:04X} missing under DDF1"


@pytest.mark.requirement("CARD-FILE-003")
@given(
    fid=st.integers(0x0001, 0xFFFE).filter(lambda f: f not in (*KNOWN_DDF1_CHILDREN, 0x3F00, 0xDDF1, 0x3FFF))
)
def test_selecting_a_missing_file_answers_6a82(dut, card, fid):
    select_path(dut, 0x3F00, 0xDDF1)
    assert select(dut, fid) == 0x6A82, f"SELECT {fid:04X}"


@pytest.mark.requirement("CARD-FILE-004", "CARD-APDU-001", "CARD-ITEM-001")
def test_issuer_file_is_free_to_read(dut, card):
    select_path(dut, 0x3F00, 0xDDF1, 0xEF05)
    items = read_all_records(dut, 12)
    assert set(EF05_ITEMS) <= set(items), f"EF05 lacks items {sorted(set(EF05_ITEMS) - set(items))}"


@pytest.mark.requirement("CARD-FILE-005")
def test_holder_file_needs_external_authentication(dut, card):
    select_path(dut, 0x3F00, 0xDDF1, 0xEF06)
    record, status = read_record(dut, 1)
    assert status == 0x6982 and not record, f"EF06 read without authentication: SW {status:04X}"


@pytest.mark.requirement("CARD-FILE-009")
def test_df01_needs_external_authentication(dut, card):
    select_path(dut, 0x3F00, 0xDDF1, 0xDF01, 0xEF05)
    record, status = read_record(dut, 1)
    assert status == 0x6982 and not record, f"DF01/EF05 read without authentication: SW {status:04X}"


@pytest.mark.requirement("CARD-FILE-006", "CARD-APDU-003")
def test_photo_is_length_prefixed_and_read_in_chunks(dut, card):
    select_path(dut, 0x3F00, 0xDDF1)
    assert external_authenticate(dut, card.keys["read_ddf1"], card.card_no, card.city) == 0x9000
    assert select(dut, 0xEF07) == 0x9000
    head, status = send(dut, bytes.fromhex("00B0000002"))
    assert status == 0x9000 and len(head) == 2
    length = int.from_bytes(head, "big")
    assert length <= 3072, f"photo length {length} > 3072"
    photo = b""
    offset = 2
    while len(photo) < length:
        le = min(0x80, length - len(photo))
        chunk, status = send(dut, bytes([0x00, 0xB0, offset >> 8, offset & 0xFF, le]))
        assert status == 0x9000 and len(chunk) == le, f"READ BINARY at {offset}: SW {status:04X}"
        photo += chunk
        offset += le
    assert len(photo) == length


@pytest.mark.requirement("CARD-FILE-007", "CARD-APDU-012")
def test_cyclic_allergy_file_appends_newest_first(dut, card):
    select_path(dut, 0x3F00, 0xDDF1, 0xDF02)
    assert external_authenticate(dut, card.keys["read_df02"], card.card_no, card.city) == 0x9000
    assert external_authenticate(dut, card.keys["update_df02_cyclic"], card.card_no, card.city) == 0x9000
    assert select(dut, 0xEF07) == 0x9000
    first = "青霉素".encode("gb2312").ljust(20, b" ") + "皮疹".encode("gb2312").ljust(100, b" ")
    second = "花粉".encode("gb2312").ljust(20, b" ") + "哮喘".encode("gb2312").ljust(100, b" ")
    for record in (first, second):
        _, status = send(dut, bytes([0x00, 0xDC, 0x00, 0x03, len(record)]) + record)
        assert status == 0x9000, f"append to cyclic EF07: SW {status:04X}"
    newest, status = read_record(dut, 1)
    assert status == 0x9000 and newest == second, "record 1 is not the newest 120-byte record"
    older, status = read_record(dut, 2)
    assert status == 0x9000 and older == first


@pytest.mark.requirement("CARD-FILE-008")
def test_encounter_slots_exist(dut, card, profile):
    fids = profile.param("card.encounter_fids")
    for fid in [*fids["inpatient"], *fids["outpatient"]]:
        assert select_path(dut, 0x3F00, 0xDDF1, 0xDF03, fid) == 0x9000, f"DF03/{fid:04X} missing"
    extra = max(fids["outpatient"]) + 1
    assert select_path(dut, 0x3F00, 0xDDF1, 0xDF03, extra) == 0x6A82, f"unexpected slot {extra:04X}"


# ------------------------------------------------------------------------------------ items
@pytest.mark.requirement("CARD-ITEM-002", "CARD-ITEM-004", "CARD-ITEM-007")
def test_issuer_items_have_the_spec_lengths_and_encodings(dut, card):
    select_path(dut, 0x3F00, 0xDDF1, 0xEF05)
    items = read_all_records(dut, 12)
    total = 0
    for tag, (length, kind) in EF05_ITEMS.items():
        value = items[tag]
        assert len(value) == length, f"EF05 item {tag}: {len(value)} bytes, spec {length}"
        total += 2 + len(value)
        if kind == "CN":
            check_cn(tag, value)
    assert total == 284, f"EF05 is {total} bytes with TLV overhead, spec 284"
    city = check_cn(57, items[57])
    assert len(city) >= 4, f"item 57 city code {city!r} too short"


@pytest.mark.requirement("CARD-AUTH-001", "CARD-AUTH-007", "CARD-ITEM-003", "CARD-ITEM-005", "ID-011")
def test_holder_items_after_read_key_authentication(dut, card):
    select_path(dut, 0x3F00, 0xDDF1)
    assert external_authenticate(dut, card.keys["read_ddf1"], card.card_no, card.city) == 0x9000
    assert select(dut, 0xEF06) == 0x9000
    items = read_all_records(dut, 8)
    total = 0
    for tag, (length, kind) in EF06_ITEMS.items():
        assert len(items[tag]) == length, f"EF06 item {tag}: {len(items[tag])} bytes, spec {length}"
        total += 2 + length
        if kind == "CN":
            check_cn(tag, items[tag])
    assert total == 64
    name = items[11].rstrip(b"\x00 ").decode("gb2312")  # AN: GB 2312 text
    assert name, "empty holder name"
    assert items[12][0] in (0, 1, 2, 9), f"sex {items[12][0]} not in GB/T 2261.1"
    nation = check_cn(13, items[13])
    assert nation == "99" or 1 <= int(nation) <= 56, f"nation {nation} not in GB 3304"
    id_number = items[15].decode("ascii")
    assert len(id_number) == 18


@pytest.mark.requirement("CARD-ITEM-006")
def test_card_number_item_equals_the_id_number(dut, card):
    select_path(dut, 0x3F00, 0xDDF1)
    assert external_authenticate(dut, card.keys["read_ddf1"], card.card_no, card.city) == 0x9000
    select(dut, 0xEF05)
    card_no_item = read_all_records(dut, 12)[8]
    select(dut, 0xEF06)
    id_item = read_all_records(dut, 8)[15]
    assert card_no_item == id_item, "item 8 (卡号) differs from item 15 (身份证号) (DIGEST §1.1)"


# ------------------------------------------------------------------------------------ commands
@pytest.mark.requirement("CARD-APDU-002")
def test_read_record_by_tag_returns_the_tlv_item(dut, card):
    select_path(dut, 0x3F00, 0xDDF1, 0xEF05)
    record, status = send(dut, bytes.fromhex("00B2390005"))
    assert status == 0x9000 and record[:2] == b"\x39\x03" and len(record) == 5, (
        f"SW {status:04X} {record.hex()}"
    )


CHALLENGES = 64


@pytest.mark.requirement("CARD-APDU-004", "SEC-008")
def test_get_challenge_is_fresh(dut, card):
    """64 challenges: all distinct, every byte position varies, bits balanced, no constant step.

    Bounds hold for a uniform source except with probability far below 1e-9: 64 draws of a byte
    take fewer than 24 distinct values with probability < 1e-15; 4096 bits stay within 5 standard
    deviations (32) of 2048 except with probability < 6e-7 per run."""
    values = []
    for _ in range(CHALLENGES):
        value, status = send(dut, bytes.fromhex("0084000008"))
        assert status == 0x9000 and len(value) == 8, f"GET CHALLENGE: SW {status:04X}, {len(value)} bytes"
        values.append(value)
    assert len(set(values)) == CHALLENGES, "GET CHALLENGE repeated a value"
    for position in range(8):
        distinct = len({v[position] for v in values})
        assert distinct >= 24, f"challenge byte {position} took only {distinct} values in {CHALLENGES} calls"
    ones = sum(bin(b).count("1") for v in values for b in v)
    assert abs(ones - 4 * 8 * CHALLENGES) <= 5 * 32, f"{ones} one-bits of {8 * 8 * CHALLENGES}: biased"
    steps = {
        (int.from_bytes(b, "big") - int.from_bytes(a, "big")) % 2**64
        for a, b in zip(values, values[1:], strict=False)
    }
    assert len(steps) > 1, "consecutive challenges differ by a constant: a counter, not a random number"


@pytest.mark.requirement("CARD-APDU-005")
@given(ins=st.integers(0, 255).filter(lambda i: i not in KNOWN_INS and i & 0xF0 not in (0x60, 0x90)))
def test_unknown_instruction_answers_6d00(dut, card, ins):
    assert sw(dut.transmit(bytes([0x00, ins, 0x00, 0x00]))) == 0x6D00, f"INS {ins:02X}"


@pytest.mark.requirement("CARD-APDU-004", "CARD-AUTH-003")
def test_first_challenge_after_each_reset_is_fresh(dut, card):
    """A card whose RNG is seeded at power-up from a constant gives perfect challenges within a
    session and the same first challenge after every reset: an EXTERNAL AUTHENTICATE recorded on it
    replays after any later reset. The first challenge of 8 power-ups must all differ (a uniform
    8-byte source repeats with probability below 2e-18)."""
    firsts = []
    for _ in range(8):
        dut.reset()
        assert select_path(dut, 0x3F00, 0xDDF1) == 0x9000
        value, status = send(dut, bytes.fromhex("0084000008"))
        assert status == 0x9000 and len(value) == 8, f"GET CHALLENGE after a reset: SW {status:04X}"
        firsts.append(value)
    assert len(set(firsts)) == len(firsts), (
        f"the first GET CHALLENGE after a reset repeated: {len(set(firsts))} distinct values in {len(firsts)} resets"
    )


@pytest.mark.requirement("CARD-APDU-005")
@pytest.mark.parametrize("cla", [0xA0, 0xB0, 0xD0, 0xE0])
def test_unknown_class_answers_6e00(dut, card, cla):
    assert sw(dut.transmit(bytes([cla, 0xB2, 0x01, 0x04, 0x00]))) == 0x6E00, f"CLA {cla:02X}"


@pytest.mark.requirement("CARD-APDU-006")
def test_wrong_lengths_give_no_data(dut, card):
    response = dut.transmit(bytes.fromhex("00A4000003DDF100"))
    assert sw(response) == 0x6700 and not data(response), f"SELECT with Lc=3: {response.hex()}"
    select_path(dut, 0x3F00, 0xDDF1, 0xEF05)
    response = dut.transmit(bytes.fromhex("00B2390003"))
    status = sw(response)
    assert (status == 0x6700 or status >> 8 == 0x6C) and not data(response), (
        f"READ RECORD Le=3: {response.hex()}"
    )
    if status >> 8 == 0x6C:  # 6Cxx names the exact length: the same command with Le=xx gets the item
        assert status & 0xFF == 5, f"READ RECORD item 57 (5 bytes) with Le=3: 6C{status & 0xFF:02X}"
        again = dut.transmit(bytes([0x00, 0xB2, 0x39, 0x00, status & 0xFF]))
        assert sw(again) == 0x9000 and len(data(again)) == 5, f"re-issued with Le from 6Cxx: {again.hex()}"


@pytest.mark.requirement("CARD-APDU-007")
def test_missing_record_answers_6a83(dut, card):
    select_path(dut, 0x3F00, 0xDDF1, 0xEF05)
    record, status = read_record(dut, 0x7E)
    assert status == 0x6A83 and not record


@pytest.mark.requirement("CARD-APDU-008")
def test_read_binary_past_the_end(dut, card):
    select_path(dut, 0x3F00, 0xDDF1)
    assert external_authenticate(dut, card.keys["read_ddf1"], card.card_no, card.city) == 0x9000
    select(dut, 0xEF07)
    chunk, status = send(dut, bytes.fromhex("00B07FF010"))  # offset 0x7FF0, far beyond 3074 bytes
    assert status in (0x6B00, 0x6282), f"READ BINARY beyond the end: SW {status:04X}"


@pytest.mark.requirement("CARD-APDU-009")
def test_read_binary_on_a_record_file_answers_6981(dut, card):
    select_path(dut, 0x3F00, 0xDDF1, 0xEF05)
    _, status = send(dut, bytes.fromhex("00B0000010"))
    assert status == 0x6981, f"READ BINARY on a record file: SW {status:04X}"


@pytest.mark.requirement("CARD-APDU-010")
def test_get_response_returns_pending_data(dut, card):
    response = dut.transmit(bytes.fromhex("00A4000002DDF1"))
    if response[-2] == 0x61:
        pending = response[-1] or 256
        follow = dut.transmit(bytes([0x00, 0xC0, 0x00, 0x00, response[-1]]))
        assert sw(follow) == 0x9000 and len(data(follow)) == pending
        if pending >= 2:  # a smaller Le gets exactly Le bytes and 61xx for the rest (ISO/IEC 7816-4)
            dut.transmit(bytes.fromhex("00A4000002DDF1"))
            part = dut.transmit(bytes.fromhex("00C0000001"))
            assert len(data(part)) == 1 and sw(part) == 0x6100 | (pending - 1), (
                f"GET RESPONSE Le=1 with {pending} bytes pending: {part.hex()}"
            )
            rest = dut.transmit(bytes([0x00, 0xC0, 0x00, 0x00, pending - 1]))
            assert sw(rest) == 0x9000 and data(part) + data(rest) == data(follow), "GET RESPONSE in two parts"
    else:
        assert sw(response) == 0x9000
        follow = dut.transmit(bytes.fromhex("00C0000010"))
        assert sw(follow) != 0x9000, "GET RESPONSE without pending data answered 9000"


@pytest.mark.requirement("CARD-APDU-011")
def test_update_without_the_update_key_is_refused(dut, card):
    select_path(dut, 0x3F00, 0xDDF1, 0xEF06)
    tlv = bytes([11, 30]) + "篡改".encode("gb2312").ljust(30, b" ")
    _, status = send(dut, bytes([0x00, 0xDC, 0x01, 0x04, len(tlv)]) + tlv)
    assert status == 0x6982, f"UPDATE RECORD without authentication: SW {status:04X}"


@pytest.mark.requirement("CARD-APDU-013")
def test_secure_messaging_with_a_bad_mac_is_refused(dut, card):
    select_path(dut, 0x3F00, 0xDDF1, 0xEF05)
    send(dut, bytes.fromhex("0084000008"))  # a session challenge, so only the MAC is wrong
    body = bytes(16) + b"\x00\x00\x00\x00"
    _, status = send(dut, bytes([0x04, 0xDC, 0x01, 0x04, len(body)]) + body)
    assert status == 0x6988, f"UPDATE RECORD (SM) with a bad MAC: SW {status:04X}"


def _sm_update_ef05(dut, card: Ctx, record_no: int, tlv: bytes, tamper_block: int | None) -> int:
    """``04 DC`` on DDF1/EF05 as DIGEST §2.2/§2.3 build it: UK_DDF1 external authentication, a second
    card challenge, the PSAM's STK_DDF1 session (DELIVER KEY 28 02, one level), enc(L || TLV || pad)
    by CIPHER DATA and the MAC by 80 FA 05 00 (IV 16x00, header || Lc || enc, 80-padded). With
    ``tamper_block`` one byte of that cryptogram block is flipped after the MAC was made."""
    from ehc.gm import pad_80

    from .helpers import psam_send

    select_path(dut, 0x3F00, 0xDDF1)
    update = dict((card.keys or {}).get("update_ddf1", {"ref": 0x05, "psam_index": 0x272A}))
    assert external_authenticate(dut, update, card.card_no, card.city) == 0x9000, "UK_DDF1 authentication"
    assert select(dut, 0xEF05) == 0x9000
    challenge, status = send(dut, bytes.fromhex("0084000008"))
    assert status == 0x9000 and len(challenge) == 8, f"GET CHALLENGE (SM): SW {status:04X}"
    factors = card.card_no + challenge
    assert psam_send(dut, bytes([0x80, 0xDE, 0x28, 0x02, len(factors)]) + factors)[1] == 0x9000, "STK_DDF1"
    plain = pad_80(bytes([len(tlv)]) + tlv)
    enc, status = psam_send(dut, bytes([0x80, 0xFA, 0x00, 0x00, len(plain)]) + plain)
    assert status == 0x9000 and len(enc) == len(plain), f"PSAM CIPHER DATA (SM): SW {status:04X}"
    header = bytes([0x04, 0xDC, record_no, 0x04])
    lc = len(enc) + 4
    mac_input = bytes(16) + pad_80(header + bytes([lc]) + enc)
    mac, status = psam_send(dut, bytes([0x80, 0xFA, 0x05, 0x00, len(mac_input)]) + mac_input)
    assert status == 0x9000 and len(mac) >= 4, f"PSAM MAC: SW {status:04X}"
    if tamper_block is not None:
        at = 16 * tamper_block
        enc = enc[:at] + bytes([enc[at] ^ 0x01]) + enc[at + 1 :]
    return send(dut, header + bytes([lc]) + enc + mac[:4])[1]


@pytest.mark.requirement("CARD-APDU-013")
def test_secure_messaging_mac_covers_every_block(dut, card):
    """A MAC checked over the first cryptogram block only lets the later blocks of a long record be
    altered on the way. The issuer name (item 3, 48 bytes of cryptogram) is written back with its
    own value: with the middle block altered the card must answer 6988 and keep the record; the
    untouched command must succeed (the refusal comes from the MAC, not from a card without SM)."""
    select_path(dut, 0x3F00, 0xDDF1, 0xEF05)
    records = {}
    for number in range(1, 16):
        record, status = read_record(dut, number)
        if status != 0x9000:
            break
        records[record[0]] = (number, record)
    assert 3 in records, "DDF1/EF05 has no item 3 (issuer name)"
    number, original = records[3]
    assert len(original) + 1 > 32, "item 3 too short for a three-block cryptogram"
    status = _sm_update_ef05(dut, card, number, original, tamper_block=1)
    select_path(dut, 0x3F00, 0xDDF1, 0xEF05)
    now, _ = read_record(dut, number)
    if now != original:  # a card that wrote the altered block: put the issuer name back first
        _sm_update_ef05(dut, card, number, original, tamper_block=None)
    assert status == 0x6988, f"UPDATE RECORD (SM) with the middle cryptogram block altered: SW {status:04X}"
    assert now == original, "UPDATE RECORD (SM) with an altered block changed the record"
    status = _sm_update_ef05(dut, card, number, original, tamper_block=None)
    assert status == 0x9000, f"UPDATE RECORD (SM) built by the PSAM: SW {status:04X}"


@pytest.mark.requirement("CARD-APDU-014")
def test_atr_carries_the_bcd_card_number(dut, card):
    number = card_number(dut.atr()).hex()
    assert number.isdigit() and len(number) == 16, f"ATR card number {number!r} is not 16 BCD digits"


# ------------------------------------------------------------------------------------ authentication
@pytest.mark.requirement("CARD-AUTH-002")
def test_wrong_cryptogram_is_refused_and_grants_nothing(dut, card):
    select_path(dut, 0x3F00, 0xDDF1)
    status = external_authenticate(dut, card.keys["read_ddf1"], card.card_no, card.city, tamper=True)
    assert status == 0x6300 or status >> 4 == 0x63C, f"wrong cryptogram: SW {status:04X}"
    select(dut, 0xEF06)
    assert read_record(dut, 1)[1] == 0x6982
    if status >> 4 == 0x63C:  # the counter it reports went down, and a reset does not restore it
        dut.reset()
        select_path(dut, 0x3F00, 0xDDF1)
        second = external_authenticate(dut, card.keys["read_ddf1"], card.card_no, card.city, tamper=True)
        assert second == status - 1, f"wrong cryptogram after a reset: SW {second:04X} (before: {status:04X})"
    # a correct authentication restores the retry counter for the next tests
    select_path(dut, 0x3F00, 0xDDF1)
    assert external_authenticate(dut, card.keys["read_ddf1"], card.card_no, card.city) == 0x9000


@pytest.mark.requirement("CARD-AUTH-002", "CARD-AUTH-005")
def test_a_success_with_another_key_does_not_restore_a_counter(dut, card):
    """A card that restores every key's counter on any successful authentication lets a terminal
    holding only the read key guess the update key without limit, authenticating with the read key
    between two guesses. Wrong UK_DDF1, right RK_DDF1, wrong UK_DDF1: the second must count down."""
    update = dict((card.keys or {}).get("update_ddf1", {"ref": 0x05, "psam_index": 0x272A}))
    select_path(dut, 0x3F00, 0xDDF1)
    try:
        first = external_authenticate(dut, update, card.card_no, card.city, tamper=True)
        assert first >> 4 == 0x63C, f"wrong UK_DDF1 cryptogram: SW {first:04X}"
        assert external_authenticate(dut, card.keys["read_ddf1"], card.card_no, card.city) == 0x9000
        second = external_authenticate(dut, update, card.card_no, card.city, tamper=True)
        assert second == first - 1, (
            f"wrong UK_DDF1 cryptogram after a successful RK_DDF1: SW {second:04X} (before: {first:04X})"
        )
    finally:  # the right UK_DDF1 cryptogram restores its counter for the tests that follow
        select_path(dut, 0x3F00, 0xDDF1)
        restored = external_authenticate(dut, update, card.card_no, card.city)
    assert restored == 0x9000, f"UK_DDF1 with the right cryptogram: SW {restored:04X}"


@pytest.mark.requirement("CARD-AUTH-003")
def test_a_cryptogram_is_good_for_one_challenge(dut, card):
    from ehc.gm import random_bytes

    from .helpers import psam_cryptogram

    key = card.keys["read_ddf1"]
    select_path(dut, 0x3F00, 0xDDF1)
    challenge, _ = send(dut, bytes.fromhex("0084000008"))
    t = random_bytes(8)
    auth = (
        bytes([0x00, 0x82, 0x00, key["ref"], 0x11])
        + psam_cryptogram(dut, key["psam_index"], card.card_no, card.city, challenge, t)
        + t
        + b"\x01"
    )
    assert send(dut, auth)[1] == 0x9000
    status = send(dut, auth)[1]
    assert status != 0x9000, "the same EXTERNAL AUTHENTICATE accepted twice on one challenge"
    send(dut, bytes.fromhex("0084000008"))
    status = send(dut, auth)[1]
    assert status != 0x9000, "replayed cryptogram accepted after a new challenge"
    assert external_authenticate(dut, key, card.card_no, card.city) == 0x9000


@pytest.mark.requirement("CARD-AUTH-004")
def test_external_authenticate_needs_a_challenge(dut, card):
    select_path(dut, 0x3F00, 0xDDF1)
    status = send(dut, bytes([0x00, 0x82, 0x00, 0x04, 0x11]) + bytes(16) + b"\x01")[1]
    assert status == 0x6985, f"EXTERNAL AUTHENTICATE without GET CHALLENGE: SW {status:04X}"


@pytest.mark.requirement("CARD-AUTH-004", "CARD-AUTH-003")
def test_no_default_challenge_after_a_reset(dut, card):
    """A card whose challenge buffer is zeroed instead of invalidated checks an EXTERNAL
    AUTHENTICATE sent without GET CHALLENGE against 00x8: the right cryptogram over that zero
    challenge (made by the lab PSAM) then opens the card and replays for ever. After a reset, with
    no GET CHALLENGE, it must be refused and EF06 stay closed."""
    from ehc.gm import random_bytes

    from .helpers import psam_cryptogram

    key = card.keys["read_ddf1"]
    t = random_bytes(8)
    cryptogram = psam_cryptogram(dut, key["psam_index"], card.card_no, card.city, bytes(8), t)
    dut.reset()
    select_path(dut, 0x3F00, 0xDDF1)
    status = send(dut, bytes([0x00, 0x82, 0x00, key["ref"], 0x11]) + cryptogram + t + b"\x01")[1]
    assert status != 0x9000, "EXTERNAL AUTHENTICATE over a zero challenge accepted without GET CHALLENGE"
    select(dut, 0xEF06)
    assert read_record(dut, 1)[1] == 0x6982, "EF06 readable after an authentication without a challenge"


@pytest.mark.requirement("CARD-AUTH-006")
def test_security_state_is_lost_on_reset(dut, card):
    select_path(dut, 0x3F00, 0xDDF1)
    assert external_authenticate(dut, card.keys["read_ddf1"], card.card_no, card.city) == 0x9000
    dut.reset()
    select_path(dut, 0xDDF1, 0xEF06)  # no MF select: only the reset may clear the state
    assert read_record(dut, 1)[1] == 0x6982, "EF06 readable after a card reset"


@pytest.mark.requirement("SEC-007")
def test_keys_are_diversified_by_card_number(dut, card):
    other = bytes([card.card_no[0] ^ 0x01]) + card.card_no[1:]
    select_path(dut, 0x3F00, 0xDDF1)
    status = external_authenticate(dut, card.keys["read_ddf1"], other, card.city)
    assert status != 0x9000, "a cryptogram for another card number was accepted"
    assert external_authenticate(dut, card.keys["read_ddf1"], card.card_no, card.city) == 0x9000


@pytest.mark.requirement("CARD-AUTH-005")
def test_repeated_wrong_cryptograms_block_the_key(dut, card, profile):
    """DESTRUCTIVE on a real card: blocks RK_DF03."""
    limit = int(profile.param("card.auth_retry_limit"))
    key = {"ref": 0x84, "psam_index": 0x4734}
    seen = []
    for _ in range(limit):  # a reset between tries: the counter lives in EEPROM, not in RAM
        dut.reset()
        select_path(dut, 0x3F00, 0xDDF1, 0xDF03)
        seen.append(external_authenticate(dut, key, card.card_no, card.city, tamper=True))
    assert all(s >> 4 == 0x63C for s in seen[:-1]), f"wrong cryptograms: {[f'{s:04X}' for s in seen]}"
    counts = [s & 0x0F for s in seen]
    assert counts == list(range(limit - 1, -1, -1)), f"retry counter across resets {counts}"
    assert external_authenticate(dut, key, card.card_no, card.city) == 0x6983, "blocked key still works"
    dut.reset()
    select_path(dut, 0x3F00, 0xDDF1, 0xDF03)
    status = external_authenticate(dut, key, card.card_no, card.city)
    assert status == 0x6983, f"blocked key after a reset: SW {status:04X}"


@pytest.mark.requirement("CARD-AUTH-008")
def test_pin_blocks_after_the_retry_limit(dut, card, profile):
    """DESTRUCTIVE on a real card: blocks the user PIN."""
    limit = int(profile.param("card.pin_retry_limit"))
    seen = []
    for _ in range(limit):  # a reset between tries: pulling the card must not give the tries back
        dut.reset()
        select(dut, 0x3F00)
        seen.append(send(dut, bytes.fromhex("0020000003000000"))[1])
    assert [s & 0x0F for s in seen] == list(range(limit - 1, -1, -1)), f"VERIFY: {[f'{s:04X}' for s in seen]}"
    assert send(dut, bytes.fromhex("0020000003000000"))[1] == 0x6983
    dut.reset()
    select(dut, 0x3F00)
    assert send(dut, bytes.fromhex("0020000003000000"))[1] == 0x6983, "blocked PIN usable after a reset"
