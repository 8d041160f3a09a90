"""Issuer certificate (item 5) and signed encounter records, read back over APDUs."""

from __future__ import annotations

import pytest
from ce_helpers import hx, run

from card_emulators import flows
from card_emulators.engine import SW
from card_emulators.personalities.certificates import (
    SignerIdentity,
    build_encounter_record,
    verify_encounter_record,
    verify_issuer_certificate,
)
from ehc.errors import EhcError
from ehc.gm import SM2PrivateKey


def _city(card):
    return card.item_raw(0xDDF1, 0xEF05, 57)[:2] + b"000000"


def _read_ddf1_records(card, psam) -> dict[int, bytes]:
    flows.open_psam(psam.transmit)
    run(card, "00A4000002DDF1")
    flows.authenticate_read_key(card.transmit, psam.transmit, card.card_number, _city(card))
    records: dict[int, bytes] = {}
    for ef, count in (("EF05", 10), ("EF06", 5)):
        run(card, f"00A4000002{ef}")
        for n in range(1, count + 1):
            data, status = run(card, f"00B2{n:02X}0400")
            assert status == SW.OK
            records[data[0]] = data
    return records


def test_issuer_certificate_verifies_from_what_a_terminal_reads(card, psam, issuer_key):
    records = _read_ddf1_records(card, psam)
    cert = records[5][2:]
    assert len(cert) == 180
    key = verify_issuer_certificate(cert, card.card_number, records, trusted=issuer_key.public_key)
    assert key.point == issuer_key.public_key.point


def test_tampered_holder_data_or_other_issuer_fail(card, psam, issuer_key):
    records = _read_ddf1_records(card, psam)
    cert = records[5][2:]
    forged = dict(records)
    forged[11] = records[11][:2] + "李四".encode("gb2312").ljust(30, b"\x00")
    with pytest.raises(EhcError):
        verify_issuer_certificate(cert, card.card_number, forged)
    with pytest.raises(EhcError):
        verify_issuer_certificate(cert, hx("1001200100000043"), records)  # cloned onto another chip
    with pytest.raises(EhcError):
        verify_issuer_certificate(
            cert, card.card_number, records, trusted=SM2PrivateKey.from_int(7).public_key
        )


def test_signed_encounter_record_written_and_verified(card, psam):
    doctor = SM2PrivateKey.from_int(0xD0C)
    identity = SignerIdentity("D370800001", "王医生", "3708000001", "20240102093000", doctor.public_key.point)
    raw = build_encounter_record(0xED, "门诊: 上呼吸道感染".encode("gb2312"), doctor, identity)
    assert len(raw) == 3267
    flows.open_psam(psam.transmit)
    run(card, "00A4080004DDF1DF03")
    flows.authenticate_update_key(card.transmit, psam.transmit, card.card_number, _city(card), "UK_DF03_2")
    run(card, "00A4000002ED01")
    for off in range(0, len(raw), 0xF0):
        chunk = raw[off : off + 0xF0]
        assert run(card, f"00D6{off:04X}{len(chunk):02X}" + chunk.hex())[1] == SW.OK
    flows.authenticate_read_key(card.transmit, psam.transmit, card.card_number, _city(card), "RK_DF03")
    run(card, "00A4000002ED01")
    back = b"".join(run(card, f"00B0{off:04X}{min(0x80, 3267 - off):02X}")[0] for off in range(0, 3267, 0x80))
    assert back == raw
    assert verify_encounter_record(0xED, back) == identity
    flipped = back[:10] + bytes([back[10] ^ 1]) + back[11:]
    with pytest.raises(EhcError):
        verify_encounter_record(0xED, flipped)


def test_outpatient_update_key_cannot_write_inpatient_slots(card, psam):
    flows.open_psam(psam.transmit)
    run(card, "00A4080004DDF1DF03")
    flows.authenticate_update_key(card.transmit, psam.transmit, card.card_number, _city(card), "UK_DF03_2")
    run(card, "00A4000002EE01")
    assert run(card, "00D6000001AA")[1] == SW.SECURITY_STATUS


def test_identity_layout_is_190_bytes():
    key = SM2PrivateKey.from_int(5)
    raw = SignerIdentity("X1", "名", "1", "20240101000000", key.public_key.point).encode()
    assert len(raw) == 190 and raw[0] == 1 and raw[67:132] == key.public_key.point and not any(raw[132:])


def test_write_encounter_flow_marks_the_index(card, psam):
    doctor = SM2PrivateKey.from_int(0xD0D)
    identity = SignerIdentity("D1", "李医生", "3708000002", "20240301101500", doctor.public_key.point)
    raw = build_encounter_record(0xEE, "住院: 肺炎".encode("gb2312"), doctor, identity)
    flows.open_psam(psam.transmit)
    run(card, "00A4000002DDF1")
    flows.write_encounter_record(card.transmit, psam.transmit, card.card_number, _city(card), 0xEE, 2, raw)
    run(card, "00A4000002EF05")
    assert run(card, "00B2010400") == (hx("3E03FF00FF"), SW.OK)
    run(card, "00A4000002EE02")
    back = b"".join(run(card, f"00B0{off:04X}{min(0x80, 1893 - off):02X}")[0] for off in range(0, 1893, 0x80))
    assert verify_encounter_record(0xEE, back).name == "李医生"
