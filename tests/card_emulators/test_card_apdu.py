"""APDU parsing and the engine's answers to malformed or unsupported commands (fuzz-safe)."""

from __future__ import annotations

import copy

from ce_helpers import hx, run
from hypothesis import given, settings
from hypothesis import strategies as st

from card_emulators.engine import SW, parse_command


def test_parse_cases():
    assert parse_command(hx("00A40000")).le is None  # case 1
    assert parse_command(hx("0084000008")).le == 8  # case 2S
    assert parse_command(hx("00B2010400")).le == 256  # Le=00 means 256
    c3 = parse_command(hx("00A40000023F00"))
    assert (c3.data, c3.le) == (hx("3F00"), None)
    c4 = parse_command(hx("00A40000023F0000"))
    assert (c4.data, c4.le) == (hx("3F00"), 256)
    e4 = parse_command(hx("00B0000000000102") + b"\x00\x80")
    assert e4 is not None and e4.data == b"\x02" and e4.le == 0x80
    assert parse_command(hx("00A400")) is None
    assert parse_command(hx("00A4000003AABB")) is None  # Lc says 3, 2 bytes follow


def test_malformed_lengths_answer_6700(card):
    assert run(card, "00A400")[1] == SW.WRONG_LENGTH
    assert run(card, "00A4000003DDF1")[1] == SW.WRONG_LENGTH
    assert card.execute(b"") == hx("6700")


def test_unknown_cla_and_ins(card):
    assert run(card, "A0A40000023F00")[1] == SW.CLA_NOT_SUPPORTED
    assert run(card, "FFA40000023F00")[1] == SW.CLA_NOT_SUPPORTED
    assert run(card, "80A40000023F00")[1] == SW.CLA_NOT_SUPPORTED  # SELECT is an ISO command
    assert run(card, "00CA000000")[1] == SW.INS_NOT_SUPPORTED
    assert run(card, "0060000000")[1] == SW.INS_NOT_SUPPORTED  # invalid INS range
    assert run(card, "80DE000000")[1] == SW.INS_NOT_SUPPORTED  # DELIVER KEY is a PSAM command


def test_logical_channels_and_sm_on_plain_commands(card):
    assert run(card, "01A40000023F00")[1] == SW.FUNCTION_IN_CLA
    assert run(card, "04B2010400")[1] == SW.SM_NOT_SUPPORTED


@settings(max_examples=400)
@given(st.binary(min_size=0, max_size=300))
def test_any_bytes_get_a_status_word_never_an_exception(_template_card, apdu):
    card = copy.deepcopy(_template_card)  # never mutate the session template
    card.powerUp()
    resp = card.execute(apdu)
    assert len(resp) >= 2
    assert resp[-2:] != hx("6F00"), card.last_exception  # 6F00 would mean a handler bug


@settings(max_examples=300)
@given(
    st.sampled_from([0x00, 0x04, 0x80]),
    st.sampled_from([0xA4, 0xB0, 0xB2, 0xD6, 0xDC, 0x84, 0x82, 0x88, 0x20, 0x24, 0x2C, 0xC0]),
    st.integers(0, 255),
    st.integers(0, 255),
    st.binary(max_size=40),
    st.one_of(st.none(), st.integers(0, 255)),
)
def test_structured_fuzz_every_command(_template_card, cla, ins, p1, p2, data, le):
    card = copy.deepcopy(_template_card)  # never mutate the session template
    card.powerUp()
    apdu = bytes([cla, ins, p1, p2]) + (bytes([len(data)]) + data if data else b"")
    if le is not None:
        apdu += bytes([le])
    resp = card.execute(apdu)
    assert len(resp) >= 2
    assert resp[-2:] != hx("6F00"), card.last_exception


# The engine answers a command no handler may run in the ISO/IEC 7816-4 order below; its fast path
# (a well-formed class the handler takes) must never change which status word wins.
STANDARD_CLASSES = {
    0xA4: {0x00},
    0xB0: {0x00},
    0xD6: {0x00, 0x04},
    0xB2: {0x00},
    0xDC: {0x00, 0x04},
    0x84: {0x00},
    0x82: {0x00},
    0x88: {0x00},
    0x20: {0x00},
    0x24: {0x00},
    0x2C: {0x00},
    0xC0: {0x00},
}


def expected_refusal(cla: int, ins: int) -> int | None:
    if cla == 0xFF or cla & 0xF0 not in (0x00, 0x80):
        return SW.CLA_NOT_SUPPORTED
    if ins not in STANDARD_CLASSES or ins & 0xF0 in (0x60, 0x90):
        return SW.INS_NOT_SUPPORTED
    if cla & 0x03:
        return SW.FUNCTION_IN_CLA
    if cla not in STANDARD_CLASSES[ins]:
        return SW.SM_NOT_SUPPORTED if cla & 0x0C else SW.CLA_NOT_SUPPORTED
    return None


@settings(max_examples=300, deadline=None)
@given(cla=st.integers(0, 255), ins=st.one_of(st.sampled_from(sorted(STANDARD_CLASSES)), st.integers(0, 255)))
def test_class_and_instruction_refusals_keep_their_order(_template_card, cla: int, ins: int) -> None:
    card = copy.deepcopy(_template_card)
    card.powerUp()
    _, sw = run(card, f"{cla:02X}{ins:02X}0000")
    refusal = expected_refusal(cla, ins)
    if refusal is not None:
        assert sw == refusal, (hex(cla), hex(ins), hex(sw))
    else:
        assert sw not in (SW.CLA_NOT_SUPPORTED, SW.INS_NOT_SUPPORTED, SW.FUNCTION_IN_CLA, SW.SM_NOT_SUPPORTED)
        assert card.last_exception is None, card.last_exception


def test_refusal_examples(card) -> None:
    assert run(card, "FFA40000")[1] == SW.CLA_NOT_SUPPORTED  # CLA FF is invalid
    assert run(card, "20A40000")[1] == SW.CLA_NOT_SUPPORTED  # RFU class
    assert run(card, "00100000")[1] == SW.INS_NOT_SUPPORTED  # no such instruction
    assert run(card, "00600000")[1] == SW.INS_NOT_SUPPORTED  # 6X is never an INS
    assert run(card, "01A40000")[1] == SW.FUNCTION_IN_CLA  # logical channel 1
    assert run(card, "0CA40000")[1] == SW.SM_NOT_SUPPORTED  # SELECT takes no secure messaging
    assert run(card, "80A40000")[1] == SW.CLA_NOT_SUPPORTED  # proprietary class on an ISO command
