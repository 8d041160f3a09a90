"""REL-F3: the wedge diagnosis is linear in the line's length and answers what the exhaustive
(quadratic) search answered: the exhaustive search is kept here as the oracle."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from card_emulators.readers import wedge
from card_emulators.readers.errors import (
    WEDGE_BAD_CHARACTER,
    WEDGE_CAPS_INVERTED,
    WEDGE_DROPPED_CHARS,
    WEDGE_DUPLICATED_CHARS,
)

HEX = "0123456789ABCDEF"
EHCID_LENGTHS = (32, 64, 96)
codes = st.one_of(
    st.sampled_from(EHCID_LENGTHS)
    .flatmap(lambda n: st.text(alphabet=HEX, min_size=n, max_size=n))
    .map(lambda e: f"{e}:1"),
    st.tuples(
        st.sampled_from(EHCID_LENGTHS).flatmap(lambda n: st.text(alphabet=HEX, min_size=n, max_size=n)),
        st.text(alphabet=HEX, min_size=32, max_size=32),
    ).map(lambda t: f"{t[0]}:0:{t[1]}"),
)


def exhaustive_diagnosis(text: str, valid: Callable[[str], bool], lengths: Sequence[int], alphabet: str):
    """The diagnosis before REL-F3: every duplicate, insertion and substitution, whatever the length."""
    if valid(text):
        return [], None
    inverted = text.swapcase() if text.isascii() else wedge._invert_case(text)
    if inverted != text and valid(inverted):
        return [WEDGE_CAPS_INVERTED], inverted
    for i in range(1, len(text)):
        if text[i] == text[i - 1] and valid(text[:i] + text[i + 1 :]):
            return [WEDGE_DUPLICATED_CHARS], text[:i] + text[i + 1 :]
    if alphabet and any(valid(text[:i] + c + text[i:]) for i in range(len(text) + 1) for c in alphabet):
        return [WEDGE_DROPPED_CHARS], None
    if alphabet and any(
        valid(text[:i] + c + text[i + 1 :]) for i in range(len(text)) for c in alphabet if c != text[i]
    ):
        return [WEDGE_BAD_CHARACTER], None
    if lengths:
        nearest = min(lengths, key=lambda n: (abs(n - len(text)), n))
        if len(text) < nearest:
            return [WEDGE_DROPPED_CHARS], None
        if len(text) > nearest:
            return [WEDGE_DUPLICATED_CHARS], None
    return [WEDGE_BAD_CHARACTER], None


@st.composite
def damaged_lines(draw) -> str:
    """A valid code with 0-2 random edits (drop, repeat, replace, insert, case flip)."""
    text = draw(codes)
    for _ in range(draw(st.integers(0, 2))):
        i = draw(st.integers(0, len(text) - 1))
        edit = draw(st.sampled_from(["drop", "repeat", "replace", "insert", "case"]))
        c = draw(st.sampled_from(HEX + ":ag"))
        text = {
            "drop": text[:i] + text[i + 1 :],
            "repeat": text[: i + 1] + text[i:],
            "replace": text[:i] + c + text[i + 1 :],
            "insert": text[:i] + c + text[i:],
            "case": text.swapcase(),
        }[edit]
    return text or "0"


@settings(max_examples=120, deadline=None)
@given(damaged_lines())
def test_diagnosis_equals_the_exhaustive_search(line: str) -> None:
    expected = exhaustive_diagnosis(
        line, wedge.national_qr_form, wedge.NATIONAL_QR_LENGTHS, wedge.NATIONAL_QR_ALPHABET
    )
    (scan,) = wedge.parse_wedge_stream(line + "\r")
    assert (list(scan.faults), scan.corrected if scan.faults else None) == expected


@settings(max_examples=60, deadline=None)
@given(codes)
def test_every_valid_code_has_an_expected_length(text: str) -> None:
    # the length filter is only sound if the validator accepts nothing of another length
    assert wedge.national_qr_form(text)
    assert len(text) in wedge.NATIONAL_QR_LENGTHS


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=HEX + ":xyz", min_size=1, max_size=40))
def test_unknown_lengths_keep_the_exhaustive_search_for_short_lines(line: str) -> None:
    def valid(t: str) -> bool:
        return t.startswith("AB") and len(t) % 7 == 0

    (scan,) = wedge.parse_wedge_stream(line + "\r", validator=valid, expected_lengths=(), alphabet="AB")
    expected = exhaustive_diagnosis(line, valid, (), "AB")
    assert (list(scan.faults), scan.corrected if scan.faults else None) == expected


@pytest.mark.parametrize("length", [500, 2000, 7000])
@pytest.mark.parametrize("fill", ["A", "0123456789ABCDEF", "ab:"])
def test_validator_calls_grow_at_most_linearly(length: int, fill: str) -> None:
    calls = [0]

    def counting(text: str) -> bool:
        calls[0] += 1
        return wedge.national_qr_form(text)

    line = (fill * length)[:length]
    (scan,) = wedge.parse_wedge_stream(line + "\r", validator=counting)
    assert not scan.ok
    assert calls[0] <= 2 * length + 10, calls[0]


def test_near_valid_lines_are_bounded_by_the_expected_lengths() -> None:
    calls = [0]

    def counting(text: str) -> bool:
        calls[0] += 1
        return wedge.national_qr_form(text)

    line = "0" * 130 + "G"  # a 131-character dynamic-length line with a bad character
    (scan,) = wedge.parse_wedge_stream(line + "\r", validator=counting)
    expected = exhaustive_diagnosis(
        line, wedge.national_qr_form, wedge.NATIONAL_QR_LENGTHS, wedge.NATIONAL_QR_ALPHABET
    )
    assert (list(scan.faults), None) == expected
    assert calls[0] <= 131 * len(wedge.NATIONAL_QR_ALPHABET) * 2 + 10


def test_a_line_longer_than_any_qr_code_is_refused_without_diagnosis() -> None:
    calls = [0]

    def counting(text: str) -> bool:
        calls[0] += 1
        return True

    scans = wedge.parse_wedge_stream("A" * (wedge.MAX_SCAN_LENGTH + 1) + "\rABC\r", validator=counting)
    assert [f.name for f in scans[0].faults] == ["WEDGE_TOO_LONG"] and scans[0].text is None
    assert scans[1].ok and calls[0] == 1
    (short,) = wedge.parse_wedge_stream("ABCD\r", validator=counting, max_length=3)
    assert [f.name for f in short.faults] == ["WEDGE_TOO_LONG"]
