"""EHCID derivation and the dynamic-code validity cipher, checked against the kit's independent
oracle (``conformance_tests.oracle``, written from DIGEST §1.2/§1.3 with ``ehc.gm`` only)."""

from __future__ import annotations

import calendar
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


# Printable ASCII without space (qr_codec's document-number alphabet), 1..46 characters: the
# national algorithm pads to a multiple of 16 bytes, so a 10-character birth certificate gives 32
# hex digits and a 31-character number 96 — fixture citizen IDs (20 bytes) always give 64.
doc_numbers = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=46)


@pytest.mark.requirement("QR-EHCID-001", "QR-EHCID-002")
@given(main_index=main_indexes, doc_type=st.sampled_from(["03", "08", "99"]), number=doc_numbers)
@example(main_index=bytes(range(32)), doc_type="08", number="A123456789").via("birth certificate: 32 hex")
@example(main_index=bytes(range(32)), doc_type="99", number="N" * 31).via("33 bytes: 96 hex")
@example(main_index=bytes(range(32)), doc_type="03", number="E12345678").via("passport")
def test_ehcid_of_documents_of_any_length_matches_the_national_derivation(dut, main_index, doc_type, number):
    expected = oracle.ehcid(main_index, ROOT_KEY, doc_type, number)
    derived = dut.derive_ehcid(main_index, ROOT_KEY, doc_type, number)
    assert len(derived) == len(expected), (
        f"{len(doc_type + number)}-byte document gave {len(derived)} hex digits, the national "
        f"zero padding to a multiple of 16 bytes gives {len(expected)}"
    )
    assert derived == expected
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
@given(past=st.integers(1, 30), in_utc=st.booleans())
@example(past=30, in_utc=False).via("the last second of the tolerance (inclusive)")
def test_codes_within_the_clock_tolerance_are_accepted(dut, profile, past, in_utc):
    """Expiry is judged with the profile's clock tolerance (issuing and verifying clocks differ by
    a few seconds): a code whose validity time passed up to that many seconds ago is still live."""
    skew = int(profile.param("dynamic_code.clock_skew_seconds", 30))
    until = dt.datetime(2026, 5, 1, 9, 30, 0)
    now = until.replace(tzinfo=CST) + dt.timedelta(seconds=min(past, skew))
    out = dut.open(_code(until), PROTECT_KEY, now.astimezone(UTC) if in_utc else now)
    assert out.accepted, (
        f"code {min(past, skew)} s past its validity time (tolerance {skew} s) refused: {out.error}"
    )


@pytest.mark.requirement("QR-DYN-002")
@given(left=st.integers(0, 3000), in_utc=st.booleans())
@example(left=0, in_utc=True)
def test_live_codes_are_accepted_whatever_zone_the_clock_is_given_in(dut, left, in_utc):
    now = dt.datetime(2026, 5, 1, 23, 30, 0, tzinfo=CST)  # 15:30 UTC: the calendar day differs too
    until = (now + dt.timedelta(seconds=left)).replace(tzinfo=None)
    out = dut.open(_code(until), PROTECT_KEY, now.astimezone(UTC) if in_utc else now)
    assert out.accepted, f"code valid for {left} s more refused with {out.error}"


@pytest.mark.requirement("QR-DYN-002")
@given(now=times, left=st.integers(0, 3000), years=st.sampled_from([-200, -100, 100, 200]))
@example(now=dt.datetime(2026, 5, 1, 9, 30, 0), left=120, years=100).via("century byte 21 read as 20")
@example(now=dt.datetime(2026, 5, 1, 9, 30, 0), left=120, years=-100).via("century byte 19 read as 20")
def test_a_validity_time_of_another_century_is_refused(dut, now, left, years):
    """A code whose validity time differs from a live one only in the century: an ancient code has
    expired and a 22nd-century one expires further ahead than any lifetime allows. A decoder that
    reads the year as 20YY would take both for the live code."""
    live = now + dt.timedelta(seconds=left)
    try:
        other = live.replace(year=live.year + years)
    except ValueError:  # 29 February of a leap year whose other century is a common year
        return
    out = dut.open(_code(other), PROTECT_KEY, now.replace(tzinfo=CST))
    assert not out.accepted, f"code sealed for {other:%Y-%m-%d %H:%M:%S} accepted at {now:%Y-%m-%d %H:%M:%S}"


def _impossible_stamps(draw_date: dt.date, day: int, hms: tuple[int, int, int]) -> str:
    return f"{draw_date.year:04d}{draw_date.month:02d}{day:02d}{hms[0]:02d}{hms[1]:02d}{hms[2]:02d}"


@st.composite
def impossible_times(draw: st.DrawFn) -> tuple[str, list[dt.datetime]]:
    """BCD digits of a date-time that does not exist (30 February, 31 April, 29 February of a
    common year, hour 24, minute 60, second 60), with the real times a lenient decoder could make of
    it: clamped to the month's last day / 23:59:59, or rolled over into the next day / minute."""
    first = draw(st.dates(dt.date(2001, 1, 1), dt.date(2098, 12, 1))).replace(day=1)
    last = calendar.monthrange(first.year, first.month)[1]
    hms = (draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59)))
    if last < 31 and draw(st.booleans()):
        day = draw(st.integers(last + 1, 31))
        base = dt.datetime(first.year, first.month, 1, *hms)
        readings = [base.replace(day=last), base + dt.timedelta(days=day - 1)]
        return _impossible_stamps(first, day, hms), readings
    day = draw(st.integers(1, last))
    which = draw(st.sampled_from(["hour", "minute", "second"]))
    hms = {"hour": (24, hms[1], hms[2]), "minute": (hms[0], 60, hms[2]), "second": (hms[0], hms[1], 60)}[
        which
    ]
    midnight = dt.datetime(first.year, first.month, day)
    rolled = midnight + dt.timedelta(hours=hms[0], minutes=hms[1], seconds=hms[2])
    clamped = midnight.replace(hour=min(hms[0], 23), minute=min(hms[1], 59), second=min(hms[2], 59))
    return _impossible_stamps(first, day, hms), [clamped, rolled]


@pytest.mark.requirement("QR-DYN-003")
@given(case=impossible_times())
@example(case=("20260230120000", [dt.datetime(2026, 2, 28, 12), dt.datetime(2026, 3, 2, 12)])).via("30 Feb")
@example(case=("20250229235959", [dt.datetime(2025, 2, 28, 23, 59, 59), dt.datetime(2025, 3, 1, 23, 59, 59)]))
@example(case=("20261231235960", [dt.datetime(2026, 12, 31, 23, 59, 59), dt.datetime(2027, 1, 1)])).via(
    "leap second"
)
def test_a_date_that_does_not_exist_is_refused_when_any_reading_of_it_would_be_live(dut, case):
    """The seal opens to BCD digits of no real date-time. Checked at clocks just before each time a
    lenient decoder could read into it, so a decoder that clamps or rolls the date over meets a code
    that would be live under its own reading — only refusing the parse passes."""
    stamp, readings = case
    text = f"{'AB' * 32}:0:{_seal_plain(PROTECT_KEY, bytes.fromhex(stamp) + bytes(9))}"
    for reading in readings:
        now = (reading - dt.timedelta(seconds=10)).replace(tzinfo=CST)
        out = dut.open(text, PROTECT_KEY, now)
        assert not out.crashed, f"crashed: {out.error}"
        assert not out.accepted, f"validity {stamp} (no such date-time) accepted at {now:%Y-%m-%d %H:%M:%S}"


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
