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
