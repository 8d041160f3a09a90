"""QR scanner (real zxing-cpp on rendered images) and the keyboard-wedge stream parser."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from card_emulators.readers import qr_scanner, wedge
from ehc.errors import EhcError
from qr_codec import image as qr_image

HEX = "0123456789ABCDEF"
ehcids = st.text(alphabet=HEX, min_size=64, max_size=64)
static_codes = ehcids.map(lambda e: f"{e}:1")
dynamic_codes = st.tuples(ehcids, st.text(alphabet=HEX, min_size=32, max_size=32)).map(
    lambda t: f"{t[0]}:0:{t[1]}"
)
codes = st.one_of(static_codes, dynamic_codes)
EXAMPLE = "A" * 10 + "0123456789ABCDEF" * 3 + "9" * 6 + ":1"


# ------------------------------------------------------------------ camera mode
@settings(max_examples=10)
@given(codes)
def test_scan_rendered_png_bytes(text: str) -> None:
    read = qr_scanner.scan_image(qr_image.render_png(text))
    assert read.medium == "11" and read.identifier == text
    assert read.raw["kind"] in ("static", "dynamic")


def test_scan_numpy_frame_and_file(tmp_path) -> None:
    frame = qr_image.render_array(EXAMPLE)
    camera = np.full((frame.shape[0] + 200, frame.shape[1] + 300), 255, dtype=np.uint8)
    camera[100 : 100 + frame.shape[0], 150 : 150 + frame.shape[1]] = frame
    assert qr_scanner.scan_image(camera).identifier == EXAMPLE
    path = tmp_path / "code.png"
    path.write_bytes(qr_image.render_png(EXAMPLE))
    assert qr_scanner.scan_image(str(path)).identifier == EXAMPLE


def test_opaque_token_is_passed_through() -> None:
    read = qr_scanner.scan_image(qr_image.render_png("https://example.org/ehc?t=abc"))
    assert read.raw["kind"] == "opaque"


def test_blank_image_and_two_codes_and_garbage() -> None:
    with pytest.raises(EhcError) as err:
        qr_scanner.scan_image(np.full((200, 200), 255, dtype=np.uint8))
    assert err.value.code.name == "QR_NOT_FOUND"
    a, b = qr_image.render_array(EXAMPLE), qr_image.render_array("OTHER TOKEN")
    h = max(a.shape[0], b.shape[0])
    both = np.full((h, a.shape[1] + b.shape[1] + 40), 255, dtype=np.uint8)
    both[: a.shape[0], : a.shape[1]] = a
    both[: b.shape[0], a.shape[1] + 40 :] = b
    with pytest.raises(EhcError) as err:
        qr_scanner.scan_image(both)
    assert err.value.code.name == "QR_MANY_CODES"
    assert qr_scanner.scan_image(both, allow_many=True).identifier in (EXAMPLE, "OTHER TOKEN")
    with pytest.raises(EhcError) as err:
        qr_scanner.scan_image(b"not an image")
    assert err.value.code.name == "QR_BAD_IMAGE"


# ------------------------------------------------------------------ keyboard wedge
@settings(max_examples=60)
@given(st.lists(codes, min_size=1, max_size=4), st.sampled_from(["CR", "LF", "CRLF"]))
def test_wedge_stream_round_trip(texts: list[str], enter: str) -> None:
    stream = "".join(wedge.wedge_keystrokes(t, enter=enter) for t in texts)
    scans = wedge.parse_wedge_stream(stream, expected_enter=enter)
    assert [s.text for s in scans] == texts
    assert all(s.ok and s.terminator == enter for s in scans)


@settings(max_examples=40)
@given(codes)
def test_caps_lock_is_detected_and_undone(text: str) -> None:
    stream = wedge.wedge_keystrokes(text, caps_lock=True)
    (scan,) = wedge.parse_wedge_stream(stream)
    if any(c.isalpha() for c in text):
        assert [f.name for f in scan.faults] == ["WEDGE_CAPS_INVERTED"]
        assert scan.corrected == text
    else:
        assert scan.ok


@settings(max_examples=40)
@given(codes, st.data())
def test_dropped_character_is_detected(text: str, data) -> None:
    i = data.draw(st.integers(0, len(text) - 1))
    (scan,) = wedge.parse_wedge_stream(text[:i] + text[i + 1 :] + "\r")
    assert [f.name for f in scan.faults] == ["WEDGE_DROPPED_CHARS"]
    assert scan.text is None
    with pytest.raises(EhcError) as err:
        scan.medium_read()
    assert err.value.code.name == "WEDGE_DROPPED_CHARS"


@settings(max_examples=40)
@given(codes, st.data())
def test_duplicated_character_is_detected_and_undone(text: str, data) -> None:
    i = data.draw(st.integers(0, len(text) - 1))
    (scan,) = wedge.parse_wedge_stream(text[: i + 1] + text[i:] + "\r")
    assert [f.name for f in scan.faults] == ["WEDGE_DUPLICATED_CHARS"]
    assert scan.corrected is not None and len(scan.corrected) == len(text)
    assert wedge.national_qr_form(scan.corrected)


def test_crlf_into_a_cr_his_and_missing_enter() -> None:
    scans = wedge.parse_wedge_stream(
        wedge.wedge_keystrokes(EXAMPLE, enter="CRLF") + EXAMPLE, expected_enter="CR"
    )
    assert [f.name for f in scans[0].faults] == ["WEDGE_WRONG_TERMINATOR"]
    assert scans[0].text == EXAMPLE  # the text itself is usable
    assert [f.name for f in scans[1].faults] == ["WEDGE_NO_TERMINATOR"]


def test_double_enter_is_an_empty_scan() -> None:
    scans = wedge.parse_wedge_stream(EXAMPLE + "\r\r")
    assert scans[0].ok and [f.name for f in scans[1].faults] == ["WEDGE_EMPTY"]


def test_bad_character_at_the_right_length() -> None:
    (scan,) = wedge.parse_wedge_stream(EXAMPLE[:-3] + "G:1\r")
    assert [f.name for f in scan.faults] == ["WEDGE_BAD_CHARACTER"]


def test_opaque_tokens_without_validator() -> None:
    scans = wedge.parse_wedge_stream("token-1\rtoken-2\r", validator=None)
    assert [s.text for s in scans] == ["token-1", "token-2"]
    assert scans[0].medium_read().raw["kind"] == "opaque"


def test_type_into_stream_with_key_delay() -> None:
    out = io.StringIO()
    wedge.type_into(out, EXAMPLE, enter="CRLF", char_delay=0.0001)
    assert out.getvalue() == EXAMPLE + "\r\n"
    (scan,) = wedge.parse_wedge_stream(out.getvalue())
    assert scan.medium_read().identifier == EXAMPLE


@settings(max_examples=80)
@given(st.text(alphabet=HEX + ":abcdef\r\n ", max_size=250))
def test_parser_never_crashes(stream: str) -> None:
    for scan in wedge.parse_wedge_stream(stream):
        assert scan.ok or scan.faults


def test_camera_scanner_reports_each_code_once_while_in_view() -> None:
    now = [0.0]
    scanner = qr_scanner.CameraScanner(same_code_delay=2.0, clock=lambda: now[0])
    first, other = qr_image.render_array(EXAMPLE), qr_image.render_array("OTHER TOKEN")
    blank = np.full((120, 120), 255, dtype=np.uint8)
    seen = []
    # The same code held up for 3 s at 10 frames/s, then taken away, shown again after 1 s, then another code.
    timeline = (
        [(first, 0.1 * i) for i in range(30)] + [(blank, 3.2)] + [(first, 4.0 + 0.1 * i) for i in range(5)]
    )
    timeline += [(other, 4.6)]
    for frame, t in timeline:
        now[0] = t
        read = scanner.feed(frame)
        if read is not None:
            seen.append((read.identifier, t))
    # Held in view: one report. Back within the delay (last seen 2.9 s, now 4.0 s): suppressed.
    assert seen == [(EXAMPLE, 0.0), ("OTHER TOKEN", 4.6)]
    assert scanner.frames == len(timeline) and scanner.suppressed == 34
    now[0] = 10.0
    assert scanner.feed(first) is not None  # long gone: a new presentation
