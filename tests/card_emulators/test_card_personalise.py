"""Personalisation from a Person, key derivation, encodings round trips, error reporting."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from ce_helpers import PERSON, hx, run
from hypothesis import given, settings
from hypothesis import strategies as st

from card_emulators.engine import SW, scheme
from card_emulators.personalise import CardKeys, new_psam, personalise_user_card
from card_emulators.personalities import encodings
from card_emulators.personalities.health_layout import KEYS
from ehc.errors import EhcError
from ehc.gm import SM2PrivateKey

GB2312_TEXT = st.text(
    alphabet=st.characters(codec="gb2312", exclude_characters="\x00", exclude_categories=("Cs",)), max_size=15
)


@settings(max_examples=200)
@given(GB2312_TEXT, st.integers(30, 40))
def test_an_round_trip(text, length):
    raw = text.encode("gb2312")
    if len(raw) > length:
        with pytest.raises(EhcError):
            encodings.encode_an(text, length)
        return
    encoded = encodings.encode_an(text, length)
    assert len(encoded) == length
    assert encodings.decode_an(encoded) == text


@settings(max_examples=200)
@given(st.text(alphabet="0123456789", max_size=22), st.integers(1, 11))
def test_cn_round_trip(digits, length):
    if len(digits) > 2 * length:
        with pytest.raises(EhcError):
            encodings.encode_cn(digits, length)
        return
    encoded = encodings.encode_cn(digits, length)
    assert len(encoded) == length and encoded.hex().upper().startswith(digits)
    assert encodings.decode_cn(encoded) == digits


def test_card_keys_are_diversified_per_card(keys, issuer_key):
    a = personalise_user_card(PERSON, keys, issuer_key, serial="00000001")
    b = personalise_user_card(PERSON, keys, issuer_key, serial="00000002")
    spec = next(s for s in KEYS if s.label == "RK_DDF1")
    city = a.item_raw(0xDDF1, 0xEF05, 57)[:2] + b"000000"
    expected = scheme.diversify_chain(keys.masters[0x4731], a.card_number, city)
    stored_a = a.nvm.read(a.node(0xDDF1).keys[0x04].region, 1, 16)
    stored_b = b.nvm.read(b.node(0xDDF1).keys[0x04].region, 1, 16)
    assert stored_a == expected == keys.card_key(spec, a.card_number, city)
    assert stored_a != stored_b and stored_a != keys.masters[0x4731]


def test_card_keys_never_printed():
    keys = CardKeys.test_only("secret-seed")
    text = repr(keys)
    assert "TEST-ONLY" in text
    assert all(master.hex() not in text.lower() for master in keys.masters.values())


def test_same_person_same_card(keys, issuer_key):
    a = personalise_user_card(PERSON, keys, issuer_key, issue_date=dt.date(2024, 1, 2))
    b = personalise_user_card(PERSON, keys, issuer_key, issue_date=dt.date(2024, 1, 2))
    assert a.atr == b.atr
    assert a.items()[9] == b.items()[9]  # 安全码 is deterministic for the same card and keys


def test_security_code_depends_on_the_keys(issuer_key):
    a = personalise_user_card(PERSON, CardKeys.test_only("a"), issuer_key, serial="00000009")
    b = personalise_user_card(PERSON, CardKeys.test_only("b"), issuer_key, serial="00000009")
    codes = {
        personalise_user_card(PERSON, CardKeys.test_only(s), issuer_key, serial="00000009").items()[9]
        for s in "cdefgh"
    }
    assert len(codes | {a.items()[9], b.items()[9]}) > 1


@pytest.mark.parametrize(
    "change",
    [
        {"name": "张" * 16},  # 32 bytes of GB 2312 > 30
        {"name": "Ω😀"},  # outside GB 2312
        {"birth_date": "1980-13-40"},
        {"area_code": "37"},
        {"extra": {"card_items": {"12": "zz"}}},  # B item must be hex
    ],
)
def test_personalise_rejects_what_does_not_fit(keys, issuer_key, change):
    person = dataclasses.replace(PERSON, **change)
    with pytest.raises(EhcError) as err:
        personalise_user_card(person, keys, issuer_key)
    assert err.value.code.name == "CARD_BAD_PERSON"
    assert PERSON.id_number not in str(err.value.to_dict())


def test_extra_card_items(keys, issuer_key):
    person = dataclasses.replace(PERSON, extra={"card_items": {"41": "01", "55": "青霉素过敏", "34": "2"}})
    card = personalise_user_card(person, keys, issuer_key)
    assert card.items()[55] == "青霉素过敏"
    assert card.item_raw(0xDF02, 0xEF05, 41) == hx("01")
    assert card.item_raw(0xDF01, 0xEF07, 34) == hx("2F")


def test_newborn_without_citizen_id(keys, issuer_key):
    baby = dataclasses.replace(PERSON, id_type="08", id_number="N370800123", birth_date="2024-05-06")
    card = personalise_user_card(baby, keys, issuer_key)
    items = card.items()
    assert items[15] == "" and items[38] == "N370800123" and card.item_raw(0xDF01, 0xEF08, 37) == hx("08")


def test_psam_without_sign_key_answers_6984(keys):
    psam = new_psam(keys)
    psam.powerUp()
    run(psam, "00A40000023F00")
    run(psam, "0020000003123456")
    run(psam, "00A4000002DF01")
    assert run(psam, "002A9E9A20" + "11" * 32)[1] == SW.REFERENCE_DATA_UNUSABLE


def test_photo_too_large(card):
    from card_emulators.personalise import write_photo

    with pytest.raises(EhcError):
        write_photo(card, bytes(3073))
    write_photo(card, bytes(3072))


def test_issuer_key_is_not_on_the_card(card, issuer_key, tmp_path):
    card.save(tmp_path / "c.json")
    text = (tmp_path / "c.json").read_text()
    assert issuer_key.to_bytes().hex().upper() not in text.upper()


def test_different_issuer_keys_give_different_certificates(keys):
    a = personalise_user_card(PERSON, keys, SM2PrivateKey.from_int(11), serial="00000005")
    b = personalise_user_card(PERSON, keys, SM2PrivateKey.from_int(12), serial="00000005")
    assert a.item_raw(0xDDF1, 0xEF05, 5)[12:77] != b.item_raw(0xDDF1, 0xEF05, 5)[12:77]


def test_profile_changes_counters_and_cyclic_sizes(keys, issuer_key):
    from card_emulators.personalise import CardProfile
    from card_emulators.personalities.health_card import TreeOptions

    profile = CardProfile(tree=TreeOptions(key_tries=5, pin_tries=4, cyclic_records=((0xEF07, 3),)))
    card = personalise_user_card(PERSON, keys, issuer_key, profile=profile)
    card.powerUp()
    assert run(card, "0020000000")[1] == 0x63C4
    assert card.node(0xDDF1, 0xDF02, 0xEF07).record_sizes == (120,) * 3
    run(card, "00A4000002DDF1")
    run(card, "0084000008")
    assert run(card, "0082000411" + "00" * 16 + "01")[1] == 0x63C4
    with pytest.raises(EhcError):
        TreeOptions(key_tries=16)
