"""READ/UPDATE RECORD, READ/UPDATE BINARY, cyclic files, Le rules."""

from __future__ import annotations

from ce_helpers import hx, run

from card_emulators import flows
from card_emulators.engine import SW
from card_emulators.personalise import write_photo


def _auth(card, psam, key):
    flows.open_psam(psam.transmit)
    city = card.item_raw(0xDDF1, 0xEF05, 57)
    flows.authenticate(card.transmit, psam.transmit, card.card_number, city[:2] + b"000000", key)


def test_read_record_by_number_le_rules(card):
    run(card, "00A4080004DDF1EF05")
    assert run(card, "00B2010400") == (hx("010131"), SW.OK)  # 卡类别 "1"
    assert run(card, "00B2010403") == (hx("010131"), SW.OK)
    assert run(card, "00B2010405")[1] == 0x6C03
    assert run(card, "00B2000400")[1] == SW.WRONG_P1P2  # no current-record pointer
    assert run(card, "00B2010500")[1] == SW.WRONG_P1P2
    assert run(card, "00B2010401AA00")[1] == SW.WRONG_LENGTH  # READ RECORD takes no data


def test_read_record_by_sfi(card):
    run(card, "00A4000002DDF1")
    assert run(card, "00B2012C00")[0] == hx("010131")  # SFI 5, record 1
    assert card.current_ef.fid == 0xEF05
    assert run(card, "00B2017C00")[1] == SW.FILE_NOT_FOUND  # SFI 15 does not exist


def test_record_command_on_binary_file_is_incompatible(card):
    run(card, "00A4080004DDF1EF07")
    assert run(card, "00B2010400")[1] == SW.FILE_INCOMPATIBLE
    run(card, "00A4080004DDF1EF05")
    assert run(card, "00B0000010")[1] == SW.FILE_INCOMPATIBLE


def test_photo_read_in_0x80_chunks_after_read_key(card, psam):
    photo = bytes(range(256)) * 4 + b"JPEG"
    write_photo(card, photo)
    run(card, "00A4000002DDF1")
    run(card, "00A4000002EF07")
    assert run(card, "00B0000080")[1] == SW.SECURITY_STATUS
    _auth(card, psam, "RK_DDF1")
    head, status = run(card, "00B0000002")
    assert status == SW.OK
    length = int.from_bytes(head, "big")
    got = b""
    while len(got) < length:
        offset = 2 + len(got)
        n = min(0x80, length - len(got))
        data, status = run(card, f"00B0{offset:04X}{n:02X}")
        assert status == SW.OK
        got += data
    assert got == photo
    assert run(card, "00B00C0200")[1] == SW.WRONG_P1P2_OFFSET  # past the end of the 3074-byte file
    assert run(card, "00B00C0010")[1] == 0x6C02  # 2 bytes left at 0C00


def test_update_record_needs_update_key_and_keeps_tag(card, psam):
    run(card, "00A4080004DDF1EF08")
    new = hx("1014") + b"13912345678".ljust(20, b"\x00")
    assert run(card, "00DC020416" + new.hex())[1] == SW.SECURITY_STATUS
    _auth(card, psam, "UK_DDF1")
    assert run(card, "00DC020416" + new.hex()) == (b"", SW.OK)
    _auth(card, psam, "RK_DDF1")
    run(card, "00A4000002EF08")
    assert run(card, "00B2020400") == (new, SW.OK)
    wrong_tag = hx("1114") + bytes(20)
    assert run(card, "00DC020416" + wrong_tag.hex())[1] in (SW.WRONG_DATA, SW.SECURITY_STATUS)


def test_update_record_format_errors(card, psam):
    run(card, "00A4000002DDF1")
    _auth(card, psam, "UK_DDF1")
    run(card, "00A4000002EF08")
    assert run(card, "00DC020403101400")[1] == SW.WRONG_LENGTH
    assert run(card, "00DC020416" + (hx("1114") + bytes(20)).hex())[1] == SW.WRONG_DATA  # tag 17 != 16
    assert run(card, "00DC070416" + (hx("1014") + bytes(20)).hex())[1] == SW.RECORD_NOT_FOUND
    assert run(card, "00DC000316" + (hx("1014") + bytes(20)).hex())[1] == SW.FILE_INCOMPATIBLE  # not cyclic
    assert run(card, "00DC020216" + (hx("1014") + bytes(20)).hex())[1] == SW.WRONG_P1P2


def test_cyclic_append_most_recent_first_and_wraps(card, psam):
    run(card, "00A4000002DDF1")
    run(card, "00A4000002DF02")
    _auth(card, psam, "RK_DF02")
    _auth(card, psam, "UK_DF02_3")  # both credentials of DF02 held at once
    run(card, "00A4000002EF08")  # immunisations: 20 records of 24 bytes
    assert run(card, "00B2010400")[1] == SW.RECORD_NOT_FOUND  # empty cyclic file
    records = [
        f"VACCINE{n:02d}".encode().ljust(20, b"\x00") + hx(f"2024{n % 12 + 1:02d}01") for n in range(23)
    ]
    for rec in records:
        assert run(card, "00DC000318" + rec.hex()) == (b"", SW.OK)
    assert run(card, "00B2010400")[0] == records[-1]
    assert run(card, "00B2140400")[0] == records[3]  # record 20 = oldest kept
    assert run(card, "00B2150400")[1] == SW.RECORD_NOT_FOUND


def test_update_binary_bounds(card, psam):
    run(card, "00A4080006DDF1DF03EE01")
    run(card, "00A4000002DDF1")
    run(card, "00A4000002DF03")
    _auth(card, psam, "UK_DF03_1")
    run(card, "00A4000002EE01")
    assert run(card, "00D6076402AABB")[1] == SW.WRONG_LENGTH  # 1892 + 2 > 1893
    assert run(card, "00D6076501AA")[1] == SW.WRONG_P1P2_OFFSET
    assert run(card, "00D6076401AA") == (b"", SW.OK)
    _auth(card, psam, "RK_DF03")
    run(card, "00A4000002EE01")
    assert run(card, "00B0076401") == (hx("AA"), SW.OK)
