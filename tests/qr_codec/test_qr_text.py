"""QR text: round trips, the parse pipeline, policy settings and every error code's reachability."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ehc.errors import EhcError
from qr_codec import errors as qe
from qr_codec import text as T
from qr_codec.ehcid import derive_ehcid

KEY = bytes.fromhex("0F1E2D3C4B5A69788796A5B4C3D2E1F0")  # TEST-ONLY protect key
OTHER = bytes.fromhex("F0E1D2C3B4A5968778695A4B3C2D1E0F")  # TEST-ONLY
E64 = derive_ehcid(bytes(range(1, 33)), KEY, "01", "37080219900101123X")
E32 = derive_ehcid(bytes(range(1, 33)), KEY, "08", "M370012345")
NOW = datetime(2026, 3, 15, 8, 30, 0)
hexes = st.sampled_from([32, 64, 96]).flatmap(lambda n: st.text("0123456789ABCDEF", min_size=n, max_size=n))


@settings(max_examples=100)
@given(ehcid=hexes)
def test_static_round_trip(ehcid: str) -> None:
    text = T.make_static(ehcid)
    assert len(text) == len(ehcid) + 2
    code = T.parse(text, KEY, NOW)
    assert (code.kind, code.ehcid, code.validity_field, code.valid_until, code.text) == (
        "static",
        ehcid,
        None,
        None,
        text,
    )


@settings(max_examples=100)
@given(
    ehcid=hexes, seconds=st.integers(1, 3600), now=st.datetimes(datetime(2000, 1, 1), datetime(2099, 1, 1))
)
def test_dynamic_round_trip(ehcid: str, seconds: int, now: datetime) -> None:
    text = T.make_dynamic(ehcid, KEY, now=now, lifetime=timedelta(seconds=seconds))
    assert len(text) == len(ehcid) + 35
    code = T.parse(text, KEY, now)
    assert code.kind == "dynamic" and code.ehcid == ehcid
    assert code.valid_until.replace(tzinfo=None) == (now + timedelta(seconds=seconds)).replace(microsecond=0)
    # the same text without the key: form only
    assert T.parse(text).valid_until is None


@settings(max_examples=200)
@given(when=st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59)))
def test_seal_open_any_naive_datetime(when: datetime) -> None:
    v = T.seal_validity(KEY, when)
    assert len(v) == 32 and v == v.upper()
    assert T.open_validity(KEY, v) == when.replace(microsecond=0, tzinfo=T.CHINA_STANDARD_TIME)


@settings(max_examples=100)
@given(
    when=st.datetimes(
        datetime(2, 1, 1),
        datetime(9998, 12, 31),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))]),
    )
)
def test_seal_converts_aware_times_to_platform_time(when: datetime) -> None:
    opened = T.open_validity(KEY, T.seal_validity(KEY, when))
    assert opened == when.replace(microsecond=0)  # aware comparison: same instant


def test_bcd_bytes_are_exactly_the_published_example() -> None:
    # DIGEST 1.3: 2018-01-17 11:50:03 -> 20 18 01 17 11 50 03, then nine 0x00 bytes
    from ehc.gm import sm4_ecb_decrypt

    v = T.seal_validity(KEY, datetime(2018, 1, 17, 11, 50, 3))
    assert sm4_ecb_decrypt(KEY, bytes.fromhex(v)) == bytes.fromhex("20180117115003") + bytes(9)


def test_wrong_protect_key_is_caught_by_padding() -> None:
    text = T.make_dynamic(E64, KEY, NOW + timedelta(seconds=60))
    with pytest.raises(EhcError) as exc:
        T.parse(text, OTHER, NOW)
    assert exc.value.code is qe.QR_VALIDITY_BAD_PADDING


def test_expiry_boundaries_follow_the_clock_skew() -> None:
    text = T.make_dynamic(E64, KEY, NOW)
    assert T.parse(text, KEY, NOW + timedelta(seconds=30)).valid_until is not None
    with pytest.raises(EhcError) as exc:
        T.parse(text, KEY, NOW + timedelta(seconds=31))
    assert exc.value.code is qe.QR_EXPIRED
    with pytest.raises(EhcError):
        T.parse(text, KEY, NOW + timedelta(seconds=1), clock_skew=timedelta(0))
    assert T.parse(text, KEY, NOW + timedelta(seconds=100), clock_skew=timedelta(seconds=100))


def test_aware_now_is_converted() -> None:
    text = T.make_dynamic(E64, KEY, NOW + timedelta(seconds=60))  # 08:31 CST = 00:31 UTC
    utc_now = datetime(2026, 3, 15, 0, 30, 0, tzinfo=UTC)
    assert T.parse(text, KEY, utc_now).kind == "dynamic"
    with pytest.raises(EhcError) as exc:
        T.parse(text, KEY, utc_now + timedelta(hours=1))
    assert exc.value.code is qe.QR_EXPIRED


def test_default_lifetime_and_clock() -> None:
    before = datetime.now(T.CHINA_STANDARD_TIME)
    code = T.parse(T.make_dynamic(E64, KEY), KEY)
    remaining = code.valid_until - before
    assert timedelta(seconds=290) <= remaining <= timedelta(seconds=300)  # 300 s, truncated to whole seconds


def test_strict_policy_refuses_short_ehcids() -> None:
    assert T.parse(T.make_static(E32)).ehcid == E32
    with pytest.raises(EhcError) as exc:
        T.make_static(E32, policy=T.NATIONAL_STRICT_POLICY)
    assert exc.value.code is qe.QR_BAD_EHCID_FIELD
    with pytest.raises(EhcError) as exc:
        T.parse(E32 + ":1", policy=T.NATIONAL_STRICT_POLICY)
    assert exc.value.code is qe.QR_BAD_LENGTH


def test_to_dict_is_json_ready() -> None:
    d = T.parse(T.make_dynamic(E64, KEY, NOW), KEY, NOW).to_dict()
    assert d["valid_until"] == "20260315083000" and d["kind"] == "dynamic"


def test_classify_national_or_opaque() -> None:
    assert isinstance(T.classify(E64 + ":1"), T.QrCode)
    assert T.classify("HIS-CARD-123").to_dict() == {"kind": "opaque", "text": "HIS-CARD-123"}
    with pytest.raises(EhcError) as exc:
        T.classify("Z" * 300)
    assert exc.value.code is qe.OPAQUE_TOO_LONG


# ---- every code of qr_codec.errors is reachable through the public API ----------------------
def _raises(fn) -> str:
    try:
        fn()
    except EhcError as err:
        return err.code.name
    return "no error"


def _blank_png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (64, 64), 255).save(buf, format="PNG")
    return buf.getvalue()


def _v(digits: str, pad: bytes = bytes(9)) -> str:
    from ehc.gm import sm4_ecb_encrypt

    return sm4_ecb_encrypt(KEY, bytes.fromhex(digits) + pad).hex().upper()


def _triggers():
    from qr_codec import degrade, image
    from qr_codec.ehcid import recover_identity

    return {
        "QR_EMPTY": lambda: T.parse(""),
        "QR_BAD_LENGTH": lambda: T.parse(E64),
        "QR_BAD_ALPHABET": lambda: T.parse(E64[:-1] + "Z:1"),
        "QR_LOWERCASE_HEX": lambda: T.parse(E64.lower() + ":1"),
        "QR_BAD_EHCID_FIELD": lambda: T.parse(E64 + "A1"),
        "QR_MISSING_FIELD": lambda: T.parse(E64 + ":0"),
        "QR_EXTRA_FIELD": lambda: T.parse(E64 + ":1:" + "0" * 32),
        "QR_UNKNOWN_TYPE": lambda: T.parse(E64 + ":2"),
        "QR_VALIDITY_MALFORMED": lambda: T.open_validity(KEY, "0" * 31),
        "QR_VALIDITY_BAD_PADDING": lambda: T.parse(f"{E64}:0:{_v('20260315083000', b'1' * 9)}", KEY, NOW),
        "QR_VALIDITY_NOT_BCD": lambda: T.parse(f"{E64}:0:{_v('2026031508300A')}", KEY, NOW),
        "QR_VALIDITY_BAD_DATE": lambda: T.parse(f"{E64}:0:{_v('20260230083000')}", KEY, NOW),
        "QR_BAD_PROTECT_KEY": lambda: T.seal_validity(b"short", NOW),
        "QR_BAD_VALIDITY_TIME": lambda: T.seal_validity(KEY, "20260315083000"),
        "QR_EXPIRED": lambda: T.parse(T.make_dynamic(E64, KEY, NOW), KEY, NOW + timedelta(hours=1)),
        "QR_NOT_YET_VALID": lambda: T.parse(T.make_dynamic(E64, KEY, NOW + timedelta(days=2)), KEY, NOW),
        "QR_BAD_LIFETIME": lambda: T.QrPolicy(default_lifetime=timedelta(hours=2)),
        "OPAQUE_EMPTY": lambda: T.accept_opaque(""),
        "OPAQUE_TOO_LONG": lambda: T.accept_opaque("x" * 257),
        "OPAQUE_NOT_PRINTABLE": lambda: T.accept_opaque("a\tb"),
        "EHCID_BAD_MAIN_INDEX": lambda: derive_ehcid(b"", KEY, "01", "1"),
        "EHCID_BAD_ROOT_KEY": lambda: derive_ehcid(bytes(32), b"", "01", "1"),
        "EHCID_BAD_DOC_TYPE": lambda: derive_ehcid(bytes(32), KEY, "1", "1"),
        "EHCID_BAD_DOC_NUMBER": lambda: derive_ehcid(bytes(32), KEY, "01", ""),
        "EHCID_LOWERCASE_X": lambda: derive_ehcid(bytes(32), KEY, "01", "1x"),
        "EHCID_BAD_FORMAT": lambda: recover_identity("XYZ", bytes(32), KEY),
        "EHCID_DECRYPT_MISMATCH": lambda: recover_identity(E64, bytes(32), KEY),
        "IMAGE_UNREADABLE": lambda: image.read_codes(b"not an image"),
        "IMAGE_NO_CODE": lambda: image.read_text(_blank_png()),
        "IMAGE_RENDER_FAILED": lambda: image.render_png("A" * 5000),
        "DEGRADE_UNKNOWN": lambda: degrade.degraded_set("A", 1, presets=["no-such-preset"]),
    }


def test_every_error_code_is_reachable() -> None:
    defined = {v.name for v in vars(qe).values() if isinstance(v, type(qe.QR_EMPTY))}
    triggers = _triggers()
    assert defined == set(triggers), f"codes without a trigger: {sorted(defined - set(triggers))}"
    got = {name: _raises(fn) for name, fn in triggers.items()}
    assert got == {name: name for name in triggers}


def test_codes_are_in_the_2xxx_range_and_documented() -> None:
    for v in vars(qe).values():
        if isinstance(v, type(qe.QR_EMPTY)):
            assert 2000 <= v.number < 3000 and v.meaning


@pytest.mark.parametrize(
    "bad", [None, 42, b"\x00" * 66, E64 + ":1" + "\u200b", "\ufeff" + E64 + ":1", E64 + ":1\x00"]
)
def test_odd_inputs_raise_ehc_errors_only(bad) -> None:
    with pytest.raises(EhcError):
        T.parse(bad, KEY, NOW)


@settings(max_examples=300)
@given(st.text(max_size=140) | st.text("0123456789ABCDEFabcdef:", max_size=140))
def test_parse_never_raises_anything_but_ehc_error(text: str) -> None:
    try:
        T.parse(text, KEY, NOW)
    except EhcError as err:
        assert err.code in qe.PARSE_CODES


def test_policy_validation() -> None:
    with pytest.raises(EhcError):
        T.QrPolicy(clock_skew=timedelta(seconds=-1))
    with pytest.raises(EhcError):
        T.QrPolicy(max_uses=0)
    with pytest.raises(EhcError):
        T.QrPolicy(ehcid_hex_lengths=(48,))
    with pytest.raises(EhcError):
        T.valid_until_for(NOW, timedelta(hours=5))


def test_stamps_zero_pad_early_years() -> None:
    # strftime("%Y") gives "1" for year 1 on glibc; the BCD field and JSON need "0001"
    early = datetime(1, 2, 3, 4, 5, 6)
    assert T.format_stamp(early) == "00010203040506"
    text = T.make_dynamic(E64, KEY, early)
    assert T.parse(text, KEY, early).to_dict()["valid_until"] == "00010203040506"


@pytest.mark.parametrize("key", [bytearray(KEY), memoryview(KEY)])
def test_protect_key_may_be_any_bytes_like(key) -> None:
    text = T.make_dynamic(E64, key, NOW)
    assert T.parse(text, key, NOW).valid_until == T.parse(text, KEY, NOW).valid_until


@pytest.mark.parametrize("key", ["0F1E2D3C4B5A69788796A5B4C3D2E1F0", 12345, KEY + b"\x00"])
def test_protect_key_of_the_wrong_type_or_size(key) -> None:
    text = T.make_dynamic(E64, KEY, NOW)
    with pytest.raises(EhcError) as exc:
        T.parse(text, key, NOW)
    assert exc.value.code is qe.QR_BAD_PROTECT_KEY


def test_validation_clock_must_be_a_datetime() -> None:
    with pytest.raises(EhcError) as exc:
        T.parse(T.make_dynamic(E64, KEY, NOW), KEY, "20260315083000")
    assert exc.value.code is qe.QR_BAD_VALIDITY_TIME


# ---- pipeline order: with two faults, the earlier stage reports ------------------------------
_V = "0123456789ABCDEF" * 2


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (E64.lower() + ":1  ", qe.QR_BAD_LENGTH.name),  # lower case + 68 chars: length first
        (E64.lower() + ":2", qe.QR_LOWERCASE_HEX.name),  # lower case + unknown type: alphabet first
        (E64[:-1] + "g:2", qe.QR_BAD_ALPHABET.name),
        (E64[:-2] + ":2:" + "0", qe.QR_BAD_EHCID_FIELD.name),  # short EHCID + unknown type: fields first
        (E64 + "::", qe.QR_MISSING_FIELD.name),
        (E64 + ":2:" + _V, qe.QR_UNKNOWN_TYPE.name),  # unknown type + a V that would not decrypt
        (E64 + ":0:" + "A" * 31, qe.QR_VALIDITY_MALFORMED.name),
    ],
)
def test_the_first_failing_stage_reports(text: str, code: str) -> None:
    with pytest.raises(EhcError) as exc:
        T.parse(text, KEY, NOW)
    assert exc.value.code.name == code


@settings(max_examples=150)
@given(pos=st.integers(0, 31), char=st.sampled_from("0123456789ABCDEF"))
def test_any_change_to_the_validity_field_is_detected(pos: int, char: str) -> None:
    text = T.make_dynamic(E64, KEY, NOW + timedelta(seconds=60))
    v = text[-32:]
    if v[pos] == char:
        return
    forged = text[:-32] + v[:pos] + char + v[pos + 1 :]
    with pytest.raises(EhcError) as exc:
        T.parse(forged, KEY, NOW)
    # SM4 diffuses one changed digit over the whole block: the nine zero bytes break
    assert exc.value.code is qe.QR_VALIDITY_BAD_PADDING


@settings(max_examples=150)
@given(pos=st.integers(0, 63), char=st.sampled_from("0123456789ABCDEF"))
def test_the_codec_does_not_authenticate_the_ehcid(pos: int, char: str) -> None:
    # Documented limit: the EHCID field carries no MAC; a changed EHCID parses, and only the
    # node's lookup (recover_identity under the person's key) rejects it.
    text = T.make_static(E64)
    forged = text[:pos] + char + text[pos + 1 :]
    assert T.parse(forged).ehcid == forged[:64]


def test_clear_caches_drops_the_protect_key_contexts() -> None:
    text = T.make_dynamic(E64, KEY, NOW)
    T.parse(text, KEY, NOW)
    assert KEY in T._ctx.dec and KEY in T._ctx.enc
    T.clear_caches()
    assert not T._ctx.dec and not T._ctx.enc
    assert T.parse(text, KEY, NOW).valid_until is not None  # rebuilt on demand
