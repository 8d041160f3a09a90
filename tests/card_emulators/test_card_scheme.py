"""The symmetric scheme (diversification, cryptogram, MAC, SM wrapping) cross-checked with the
independent pure-Python SM4 of gmssl, and the GM/T 0002 SM4 test vector through the same path."""

from __future__ import annotations

import pytest
from ce_helpers import hx
from hypothesis import given, settings
from hypothesis import strategies as st

from card_emulators.engine import scheme
from ehc.gm import pad_80

gmssl_sm4 = pytest.importorskip("gmssl.sm4", reason="gmssl (test extra) provides the independent SM4")


def _ecb(key: bytes, data: bytes) -> bytes:
    c = gmssl_sm4.CryptSM4(padding_mode=gmssl_sm4.ZERO)  # data is block-aligned: zero padding adds nothing
    c.set_key(key, gmssl_sm4.SM4_ENCRYPT)
    return bytes(c.crypt_ecb(data))[: len(data)]


def test_gmt_0002_vector_through_diversify():
    """The reference SM4 reproduces the GM/T 0002 vector; diversify(k, D) is SM4(k, D || NOT D)."""
    key = hx("0123456789ABCDEFFEDCBA9876543210")
    assert _ecb(key, key) == hx("681EDF34D206965E86B3E94F536E4246")
    d = hx("0123456789ABCDEF")
    assert scheme.diversify(key, d) == _ecb(key, d + bytes(b ^ 0xFF for b in d))


@settings(max_examples=50)
@given(
    st.binary(min_size=16, max_size=16), st.binary(min_size=8, max_size=8), st.binary(min_size=8, max_size=8)
)
def test_cryptogram_matches_independent_sm4(key, card_random, terminal_random):
    session = _ecb(key, card_random + bytes(b ^ 0xFF for b in card_random))
    block = _ecb(session, terminal_random + bytes(8))
    expected = bytes(a ^ b for a, b in zip(block[:8], block[8:], strict=True))
    assert scheme.auth_cryptogram(key, card_random, terminal_random) == expected


@settings(max_examples=50)
@given(st.binary(min_size=16, max_size=16), st.binary(max_size=60))
def test_mac_matches_independent_cbc(key, data):
    state = bytes(16)
    padded = pad_80(data)
    for i in range(0, len(padded), 16):
        state = _ecb(key, bytes(a ^ b for a, b in zip(state, padded[i : i + 16], strict=True)))
    assert scheme.mac4(key, data) == state[:4]


@settings(max_examples=50)
@given(st.binary(min_size=16, max_size=16), st.binary(min_size=1, max_size=200))
def test_sm_wrap_unwrap_round_trip_and_tamper(key, plain):
    header = hx("04DC0104")
    body = scheme.sm_wrap(key, header, plain)
    assert scheme.sm_unwrap(key, header, body) == plain
    with pytest.raises(scheme.SmError):
        scheme.sm_unwrap(key, hx("04DC0204"), body)  # the MAC covers the header
    with pytest.raises(scheme.SmError):
        scheme.sm_unwrap(key, header, body[:-1] + bytes([body[-1] ^ 0x01]))
