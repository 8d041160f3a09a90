"""The chip-card reader (reference terminal) against in-process cards from the real personaliser.

The same reader runs through a real pcscd in tests/card_emulators/pcsc/."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from card_emulators.personalise import CardKeys, new_psam, personalise_user_card
from card_emulators.readers.chipcard import ChipCardReader, ReaderConfig, parse_tlv_record
from card_emulators.transports.pcsc import ApduChannel
from ehc.errors import EhcError
from ehc.gm import SM2PrivateKey
from ehc.spec.identifiers import make_citizen_id
from ehc.spec.model import Person

KEYS = CardKeys.test_only(b"reader-tests")
ISSUER = SM2PrivateKey.generate()
PIN = "123456"  # TEST-ONLY default of the personaliser


def person(
    name: str = "孙丽", sex: str = "2", birth: dt.date = dt.date(1979, 2, 28), area: str = "430426"
) -> Person:
    return Person(
        "P9",
        name,
        sex,
        "01",
        birth.isoformat(),
        "01",
        make_citizen_id(area, birth, 77, int(sex)),
        area,
        phone="13700000000",
    )


def powered(card):
    card.powerUp()
    return card


def reader_for(
    p: Person, *, keys=KEYS, psam_keys=KEYS, issuer=ISSUER, **config
) -> tuple[ChipCardReader, object]:
    card = powered(personalise_user_card(p, keys, issuer, issue_date=dt.date(2023, 3, 1)))
    psam = powered(new_psam(psam_keys))
    cfg = ReaderConfig(**{"issuer_public_key": ISSUER.public_key, "psam_pin": PIN, **config})
    return ChipCardReader(card.transmit, psam.transmit, card.getATR(), cfg), card


@settings(max_examples=8)
@given(
    st.sampled_from(["孙丽", "欧阳小明", "王"]),
    st.sampled_from(["1", "2"]),
    st.dates(dt.date(1930, 1, 1), dt.date(2023, 1, 1)),
    st.sampled_from(["430426", "370302", "510107"]),
)
def test_reads_what_was_personalised(name: str, sex: str, birth: dt.date, area: str) -> None:
    p = person(name, sex, birth, area)
    reader, card = reader_for(p)
    read = reader.read()
    assert read.signature_valid is True and read.signature_error is None
    assert read.holder == {
        "name": name,
        "sex": sex,
        "nation": "01",
        "birth_date": birth.strftime("%Y%m%d"),
        "id_number": p.id_number,
    }
    assert read.city_code == area[:4] + "00"
    assert read.atr == card.getATR()
    assert read.ef08["phone1"] == "13700000000"
    medium = read.medium_read()
    assert medium.medium == "10" and medium.identifier == read.card_number
    json.dumps(medium.raw, ensure_ascii=False)  # the raw output is JSON-ready
    assert p.id_number not in repr(read)


def test_other_issuer_key_is_reported_or_refused() -> None:
    other = SM2PrivateKey.generate()
    reader, _ = reader_for(person(), issuer_public_key=other.public_key, require_signature=False)
    read = reader.read()
    assert read.signature_valid is False and "trusted" in (read.signature_error or "")
    strict, _ = reader_for(person(), issuer_public_key=other.public_key)
    with pytest.raises(EhcError) as err:
        strict.read()
    assert err.value.code.name == "CARD_SIGNATURE_INVALID"


def test_altered_holder_record_breaks_the_signature() -> None:
    p = person()
    reader, card = reader_for(p, require_signature=False)
    # An attacker rewrites the name on the card (issuer-side write, as a forged card would have).
    from card_emulators.personalities.health_layout import item_by_tag

    card.put_item(0xDDF1, 0xEF06, item_by_tag(11), "李四")
    read = reader.read()
    assert read.holder["name"] == "李四" and read.signature_valid is False


def test_no_issuer_key_means_not_checked() -> None:
    reader, _ = reader_for(person(), issuer_public_key=None)
    read = reader.read()
    assert read.signature_valid is None and read.signature_error == "CARD_NO_ISSUER_KEY"


def test_psam_of_another_issuer_fails_authentication() -> None:
    reader, _ = reader_for(person(), psam_keys=CardKeys.test_only(b"someone else"))
    with pytest.raises(EhcError) as err:
        reader.read()
    assert err.value.code.name == "CARD_AUTH_FAILED"
    assert err.value.detail["step"].startswith("EXTERNAL AUTHENTICATE")


def test_wrong_psam_pin_is_a_psam_failure() -> None:
    reader, _ = reader_for(person(), psam_pin="654321")
    with pytest.raises(EhcError) as err:
        reader.read()
    assert err.value.code.name == "PSAM_FAILED" and "VERIFY" in err.value.detail["step"]


def test_transcript_and_t0_chaining_are_visible() -> None:
    card = powered(personalise_user_card(person(), KEYS, ISSUER))
    psam = powered(new_psam(KEYS))
    channel = ApduChannel(card.transmit)
    read = ChipCardReader(channel, psam.transmit, card.getATR(), ReaderConfig(ISSUER.public_key, PIN)).read()
    commands = [e.command[:2].hex().upper() for e in read.transcript]
    assert "0084" in commands and "0082" in commands  # GET CHALLENGE, EXTERNAL AUTHENTICATE
    assert read.transcript == tuple(channel.transcript)


def test_short_atr_is_refused() -> None:
    with pytest.raises(EhcError) as err:
        ChipCardReader(lambda a: b"\x90\x00", lambda a: b"\x90\x00", b"\x3b\x00")
    assert err.value.code.name == "CARD_BAD_ATR"


def test_card_without_the_application_fails_select() -> None:
    def blank_card(apdu: bytes) -> bytes:
        return b"\x90\x00" if apdu[4:] == b"\x02\x3f\x00" else b"\x6a\x82"

    reader = ChipCardReader(blank_card, lambda a: b"\x90\x00", bytes(16))
    with pytest.raises(EhcError) as err:
        reader.read()
    assert err.value.code.name == "CARD_SELECT_FAILED" and err.value.detail["sw"] == "6A82"


@pytest.mark.parametrize(
    "raw", [b"", b"\x39", b"\x39\x03\x37\x08", b"\x38\x03\x37\x08\x00", b"\x39\x04\x37\x08\x00\x00"]
)
def test_malformed_tlv_records(raw: bytes) -> None:
    with pytest.raises(EhcError) as err:
        parse_tlv_record(raw, 57)
    assert err.value.code.name == "CARD_BAD_RECORD"


def test_reader_over_a_pyscard_connection_in_process() -> None:
    # The pyscard code path of PcscTransport, with the in-process pyscard connection.
    pytest.importorskip("smartcard", reason="pyscard not installed (pip install 'ehc-kit[pcsc]')")
    from card_emulators.transports.inprocess import connect
    from card_emulators.transports.pcsc import PcscTransport

    p = person("周到", "1", dt.date(2001, 9, 9))
    card = personalise_user_card(p, KEYS, ISSUER)
    psam = new_psam(KEYS)
    with (
        PcscTransport.from_connection(connect(card)) as c,
        PcscTransport.from_connection(connect(psam, "PSAM")) as s,
    ):
        read = ChipCardReader(c, s, c.atr, ReaderConfig(ISSUER.public_key, PIN)).read()
        assert any(e.automatic for e in c.transcript + s.transcript)  # 61xx answered by GET RESPONSE
    assert read.holder["name"] == "周到" and read.signature_valid is True


@pytest.mark.parametrize("size", [0, 1, 0x80, 0x81, 3072])
def test_photo_is_read_in_chunks(size: int) -> None:
    photo = bytes((i * 7) & 0xFF for i in range(size))
    card = powered(personalise_user_card(person(), KEYS, ISSUER, photo=photo))
    psam = powered(new_psam(KEYS))
    channel = ApduChannel(card.transmit)
    config = ReaderConfig(ISSUER.public_key, PIN, read_photo=True)
    read = ChipCardReader(channel, psam.transmit, card.getATR(), config).read()
    assert read.photo == photo and read.to_dict()["photo_bytes"] == size
    chunks = [e.command for e in channel.transcript if e.command[1] == 0xB0 and e.command[2:4] != b"\x00\x00"]
    assert len(chunks) == -(-size // 0x80) and all(c[4] <= 0x80 for c in chunks)
