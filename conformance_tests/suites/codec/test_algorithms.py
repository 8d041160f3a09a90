"""EHCID derivation and the dynamic-code validity cipher, checked against the kit's independent
oracle (``conformance_tests.oracle``, written from DIGEST §1.2/§1.3 with ``ehc.gm`` only)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conformance_tests import oracle
from ehc.spec.identifiers import make_citizen_id

# TEST-ONLY keys of the suite (never a production key).
ROOT_KEY = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
PROTECT_KEY = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
CST = dt.timezone(dt.timedelta(hours=8))

main_indexes = st.binary(min_size=32, max_size=32)
keys = st.binary(min_size=16, max_size=16)
citizen_ids = st.builds(
    make_citizen_id,
    st.sampled_from(["370800", "370302", "430426", "510100", "110105"]),
    st.dates(dt.date(1920, 1, 1), dt.date(2024, 12, 31)),
    st.integers(1, 999),
)
times = st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2099, 12, 31, 23, 59, 59)).map(
    lambda t: t.replace(microsecond=0)
)


@pytest.mark.requirement("QR-EHCID-001", "QR-EHCID-003")
@given(main_index=main_indexes, root_key=keys, number=citizen_ids)
@example(main_index=bytes(range(32)), root_key=ROOT_KEY, number="11010519491231002X")
def test_ehcid_matches_the_national_derivation(dut, main_index, root_key, number):
    expected = oracle.ehcid(main_index, root_key, "01", number)
    assert dut.derive_ehcid(main_index, root_key, "01", number) == expected
    assert len(expected) == 64


@pytest.mark.requirement("QR-EHCID-002")
@given(main_index=main_indexes, number=citizen_ids, doc_type=st.sampled_from(["01", "02", "03", "08", "99"]))
def test_ehcid_decrypts_back_to_the_document(dut, main_index, number, doc_type):
    derived = dut.derive_ehcid(main_index, ROOT_KEY, doc_type, number)
    assert oracle.recover(derived, main_index, ROOT_KEY) == doc_type + number


@pytest.mark.requirement("QR-DYN-001")
@given(when=times)
def test_validity_field_is_the_sealed_bcd_time(dut, when):
    sealed = dut.seal_validity(PROTECT_KEY, when.replace(tzinfo=CST))
    assert sealed == oracle.seal_validity(PROTECT_KEY, when)
    assert oracle.open_validity(PROTECT_KEY, sealed) == when.strftime("%Y%m%d%H%M%S")


@pytest.mark.requirement("QR-DYN-001")
@given(seconds_left=st.integers(1, 3000))
def test_dut_opens_a_validity_field_sealed_by_the_oracle(dut, seconds_left):
    now = dt.datetime(2026, 5, 1, 9, 30, 0)
    until = now + dt.timedelta(seconds=seconds_left)
    text = f"{'AB' * 32}:0:{oracle.seal_validity(PROTECT_KEY, until)}"
    out = dut.open(text, PROTECT_KEY, now.replace(tzinfo=CST))
    assert out.accepted, f"valid dynamic code refused with {out.error}"
    assert out.valid_until == until.strftime("%Y%m%d%H%M%S")


def _with_x(area: str, born: dt.date, start: int) -> str:
    """The first ID number from sequence ``start`` on whose check character is X (1 in 11)."""
    for k in range(999):
        number = make_citizen_id(area, born, (start + k) % 999 + 1)
        if number.endswith("X"):
            return number
    raise AssertionError("no sequence number gives check character X")


ids_with_x = st.builds(
    _with_x,
    st.sampled_from(["370800", "430426", "510100"]),
    st.dates(dt.date(1930, 1, 1), dt.date(2020, 12, 31)),
    st.integers(0, 998),
)


@pytest.mark.requirement("QR-EHCID-003")
@given(main_index=main_indexes, number=ids_with_x)
@example(main_index=bytes(range(32)), number="11010519491231002X")
def test_lower_case_x_never_yields_another_ehcid(dut, main_index, number):
    """A lower-case x is refused or read as X: never a second EHCID for the same person."""
    expected = oracle.ehcid(main_index, ROOT_KEY, "01", number)
    try:
        derived = dut.derive_ehcid(main_index, ROOT_KEY, "01", number[:-1] + "x")
    except Exception:  # noqa: BLE001 - any refusal will do (the adapter API fixes no error type)
        return  # refused: the terminal/issuer must ask for the upper-case form
    assert derived == expected, "lower-case x derived an EHCID of its own (one person, two EHCIDs)"


def _code(until: dt.datetime, key: bytes = PROTECT_KEY) -> str:
    return f"{'AB' * 32}:0:{oracle.seal_validity(key, until)}"


UTC = dt.UTC


@pytest.mark.requirement("QR-DYN-002")
@given(until=times, late=st.integers(1, 60) | st.integers(61, 8 * 3600), in_utc=st.booleans())
@example(until=dt.datetime(2026, 5, 1, 9, 30, 0), late=59, in_utc=False).via("expiry compared to the minute")
@example(until=dt.datetime(2026, 5, 1, 9, 30, 0), late=3600, in_utc=True).via("server clock in UTC")
def test_expired_codes_are_refused_to_the_second_in_beijing_time(dut, profile, until, late, in_utc):
    skew = int(profile.param("dynamic_code.clock_skew_seconds", 30))
    now = until.replace(tzinfo=CST) + dt.timedelta(seconds=skew + late)
    out = dut.open(_code(until), PROTECT_KEY, now.astimezone(UTC) if in_utc else now)
    assert not out.accepted, f"code {skew + late} s past its validity time (tolerance {skew} s) accepted"


@pytest.mark.requirement("QR-DYN-002")
@given(left=st.integers(0, 3000), in_utc=st.booleans())
@example(left=0, in_utc=True)
def test_live_codes_are_accepted_whatever_zone_the_clock_is_given_in(dut, left, in_utc):
    now = dt.datetime(2026, 5, 1, 23, 30, 0, tzinfo=CST)  # 15:30 UTC: the calendar day differs too
    until = (now + dt.timedelta(seconds=left)).replace(tzinfo=None)
    out = dut.open(_code(until), PROTECT_KEY, now.astimezone(UTC) if in_utc else now)
    assert out.accepted, f"code valid for {left} s more refused with {out.error}"


def _seal_plain(key: bytes, plain: bytes) -> str:
    from ehc.gm import sm4_ecb_encrypt

    return sm4_ecb_encrypt(key, plain).hex().upper()


bad_plaintexts = st.one_of(
    # a real BCD time, padding not nine 0x00
    st.tuples(st.just(bytes.fromhex("20260501093500")), st.binary(min_size=9, max_size=9)).filter(
        lambda t: t[1] != bytes(9)
    ),
    # a nibble above 9
    st.tuples(st.binary(min_size=7, max_size=7), st.just(bytes(9))).filter(
        lambda t: any(b >> 4 > 9 or b & 15 > 9 for b in t[0])
    ),
    # BCD digits that are no date-time (month 13, day 32, hour 24, minute 60...)
    st.sampled_from(
        ["20261301093500", "20260532093500", "20260501243500", "20260501096000", "20260230120000"]
    ).map(lambda s: (bytes.fromhex(s), bytes(9))),
).map(lambda t: t[0] + t[1])


@pytest.mark.requirement("QR-DYN-003")
@given(plain=bad_plaintexts)
def test_a_validity_field_that_is_no_time_is_refused(dut, plain):
    out = dut.open(
        f"{'AB' * 32}:0:{_seal_plain(PROTECT_KEY, plain)}",
        PROTECT_KEY,
        dt.datetime(2026, 5, 1, 9, 30, tzinfo=CST),
    )
    assert not out.crashed, f"crashed: {out.error}"
    assert not out.accepted, f"validity plaintext {plain.hex()} is no BCD time, yet the code was accepted"


@pytest.mark.requirement("QR-DYN-008")
@given(own=keys, other=keys, left=st.integers(1, 3000))
def test_a_code_sealed_for_another_key_is_refused(dut, own, other, left):
    if own == other:
        return
    now = dt.datetime(2026, 5, 1, 9, 30, 0)
    text = _code(now + dt.timedelta(seconds=left), other)
    assert dut.open(text, other, now.replace(tzinfo=CST)).accepted, "code refused under its own key"
    out = dut.open(text, own, now.replace(tzinfo=CST))
    assert not out.accepted, "a code sealed under another protect key was accepted"
