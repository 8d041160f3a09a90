"""Response chaining (61xx / 6Cxx), raw mode, APDU text and reader selection of the PC/SC transport."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from card_emulators.transports.pcsc import ApduChannel, parse_apdu_hex, reissue_with_le, select_reader
from ehc.errors import EhcError


class T0Card:
    """Scripted T=0 behaviour: a case-4 command answers 61xx; Le mismatch answers 6Cxx."""

    def __init__(self, payload: bytes, chunk: int = 0x20) -> None:
        self.payload = payload
        self.chunk = chunk
        self.pending = b""
        self.seen: list[bytes] = []

    def __call__(self, apdu: bytes) -> bytes:
        self.seen.append(apdu)
        ins = apdu[1]
        if ins == 0xC0:  # GET RESPONSE
            part, self.pending = self.pending[: apdu[4]], self.pending[apdu[4] :]
            if self.pending:
                return part + bytes([0x61, min(len(self.pending), 0xFF)])
            return part + b"\x90\x00"
        if ins == 0xB0:  # READ BINARY: exact Le or 6Cxx
            if len(apdu) == 5 and apdu[4] == len(self.payload):
                return self.payload + b"\x90\x00"
            return bytes([0x6C, len(self.payload)])
        # case 4: data waits for GET RESPONSE, in chunks
        self.pending = self.payload
        return bytes([0x61, min(self.chunk, len(self.payload))])


def test_get_response_chaining_collects_all_data() -> None:
    payload = bytes(range(200))
    card = T0Card(payload)
    channel = ApduChannel(card)
    assert channel.transmit(bytes.fromhex("00B2013C00")) == payload + b"\x90\x00"
    assert [e.automatic for e in channel.transcript][0] is False
    assert all(e.automatic for e in channel.transcript[1:])
    assert all(e.command[:4] == bytes.fromhex("00C00000") for e in channel.transcript[1:])


def test_6c_reissues_with_the_right_le() -> None:
    card = T0Card(b"\x01\x02\x03")
    channel = ApduChannel(card)
    assert channel.transmit(bytes.fromhex("00B0000000")) == b"\x01\x02\x03\x90\x00"
    assert card.seen[-1] == bytes.fromhex("00B0000003")


def test_raw_mode_shows_what_the_card_said() -> None:
    card = T0Card(b"\xaa" * 10)
    channel = ApduChannel(card, auto_get_response=False, auto_resend_6c=False)
    assert channel.transmit(bytes.fromhex("00B2013C00")) == b"\x61\x0a"
    assert channel.transmit(bytes.fromhex("00B0000000")) == b"\x6c\x0a"
    assert len(channel.transcript) == 2


def test_endless_61xx_is_cut_off() -> None:
    channel = ApduChannel(lambda apdu: b"\x61\x10")
    with pytest.raises(EhcError) as err:
        channel.transmit(bytes.fromhex("00B2013C00"))
    assert err.value.code.name == "PCSC_GET_RESPONSE_LOOP"


def test_status_word_missing_is_an_error() -> None:
    with pytest.raises(EhcError) as err:
        ApduChannel(lambda apdu: b"\x90").transmit(bytes.fromhex("00A4000002DF01"))
    assert err.value.code.name == "PCSC_TRANSMIT_FAILED"


@pytest.mark.parametrize(
    ("apdu", "le", "expected"),
    [
        ("00B00000", 0x10, "00B0000010"),  # case 1 -> 2
        ("00B0000000", 0x10, "00B0000010"),  # case 2
        ("00A4000002DF01", 0x08, "00A4000002DF0108"),  # case 3 -> 4
        ("00A4000002DF0100", 0x08, "00A4000002DF0108"),  # case 4
    ],
)
def test_reissue_with_le(apdu: str, le: int, expected: str) -> None:
    assert reissue_with_le(bytes.fromhex(apdu), le) == bytes.fromhex(expected)


def test_parse_apdu_hex_accepts_common_spellings_and_rejects_bad_text() -> None:
    assert parse_apdu_hex("00 A4 00 00 02 DF 01") == bytes.fromhex("00A4000002DF01")
    assert parse_apdu_hex("00:a4:00:00") == bytes.fromhex("00A40000")
    for bad in ("00A4", "zz", "00A400000"):
        with pytest.raises(EhcError) as err:
            parse_apdu_hex(bad)
        assert err.value.code.name == "PCSC_BAD_APDU"


@settings(max_examples=60)
@given(st.binary(min_size=4, max_size=40))
def test_parse_apdu_hex_round_trips(apdu: bytes) -> None:
    assert parse_apdu_hex(apdu.hex(" ")) == apdu


def test_select_reader_by_substring_and_its_errors() -> None:
    names = ["Virtual PCD 00 00", "Virtual PCD 00 01", "ACS ACR39U ICC Reader 00 00"]
    assert select_reader(names, "00 01") == "Virtual PCD 00 01"
    assert select_reader(names, "acr39") == "ACS ACR39U ICC Reader 00 00"
    assert select_reader(["only one"], None) == "only one"
    for wanted, code in (
        ("Virtual", "PCSC_AMBIGUOUS_READER"),
        ("nothing", "PCSC_NO_READER"),
        (None, "PCSC_AMBIGUOUS_READER"),
    ):
        with pytest.raises(EhcError) as err:
            select_reader(names, wanted)
        assert err.value.code.name == code
    with pytest.raises(EhcError) as err:
        select_reader([], None)
    assert err.value.code.name == "PCSC_NO_READER"


@settings(max_examples=60)
@given(payload=st.binary(min_size=0, max_size=1200), chunk=st.integers(1, 255))
def test_chaining_reassembles_any_payload(payload: bytes, chunk: int) -> None:
    pending = bytearray()

    def card(apdu: bytes) -> bytes:
        nonlocal pending
        if apdu[1] == 0xC0:
            part = bytes(pending[: apdu[4] or 256])
            del pending[: len(part)]
            return part + (bytes([0x61, min(len(pending), chunk)]) if pending else b"\x90\x00")
        pending = bytearray(payload)
        return bytes([0x61, min(len(pending), chunk)]) if pending else b"\x90\x00"

    channel = ApduChannel(card)
    assert channel.transmit(bytes.fromhex("80CA000000")) == payload + b"\x90\x00"
    if payload:
        assert all(e.command[4] <= chunk for e in channel.transcript[1:])
