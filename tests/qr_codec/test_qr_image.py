"""Real images: rendered with segno, read back with zxing-cpp through every accepted source type."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import datetime

import numpy as np
import pytest
from PIL import Image

from ehc.errors import EhcError
from qr_codec import errors as qe
from qr_codec import image as I
from qr_codec.ehcid import derive_ehcid
from qr_codec.text import make_dynamic, make_static

KEY = bytes.fromhex("000102030405060708090A0B0C0D0E0F")  # TEST-ONLY
EHCID = derive_ehcid(bytes(range(1, 33)), KEY, "01", "37080219900101123X")
STATIC = make_static(EHCID)
DYNAMIC = make_dynamic(EHCID, KEY, datetime(2026, 3, 15, 8, 35))  # fixed: same image every run


def _texts(codes: list[I.DecodedCode]) -> list[str]:
    return [c.text for c in codes]


@pytest.mark.parametrize("level", ["L", "M", "Q", "H", "q"])
def test_png_round_trip_every_level(level: str) -> None:
    png = I.render_png(DYNAMIC, ec_level=level)
    assert png.startswith(b"\x89PNG")
    codes = I.read_codes(png)
    assert _texts(codes) == [DYNAMIC]
    assert codes[0].format == "QR Code" and codes[0].ec_level == level.upper()


def test_default_level_and_size_for_a_dynamic_code() -> None:
    symbol = I.make_symbol(DYNAMIC)
    assert (symbol.error, symbol.version, symbol.mode) == ("Q", 6, "alphanumeric")
    img = Image.open(io.BytesIO(I.render_png(DYNAMIC)))
    assert img.size == (196, 196)  # (41 + 2*4) * 4


def test_position_is_the_code_square() -> None:
    (code,) = I.read_codes(I.render_png(STATIC, scale=5, border=4))
    xs = [p[0] for p in code.position]
    ys = [p[1] for p in code.position]
    assert min(xs) == min(ys) == 20  # the quiet zone is 4 modules of 5 px
    assert code.orientation == 0


def test_sources_path_bytes_pil_numpy(tmp_path) -> None:
    png = I.render_png(STATIC)
    path = tmp_path / "code.png"
    path.write_bytes(png)
    pil = Image.open(io.BytesIO(png))
    gray = I.render_array(STATIC)
    bgr = np.dstack([gray, gray, gray])
    bgra = np.dstack([gray, gray, gray, np.full_like(gray, 255)])
    for source in (
        path,
        str(path),
        png,
        bytearray(png),
        pil,
        pil.convert("RGB"),
        pil.convert("P"),
        gray,
        bgr,
        bgra,
    ):
        assert _texts(I.read_codes(source)) == [STATIC], type(source)


def test_inverted_and_rotated_frames() -> None:
    gray = I.render_array(DYNAMIC)
    assert _texts(I.read_codes(255 - gray)) == [DYNAMIC]
    assert _texts(I.read_codes(np.rot90(gray))) == [DYNAMIC]  # a strided view, no copy needed
    assert _texts(I.read_codes(gray[::2, ::2])) == [DYNAMIC]  # 2 px modules, strided
    # try_harder=False skips the inverted pass: documented behaviour, shown here
    assert I.read_codes(255 - gray, try_harder=False) == []


def test_several_codes_in_one_frame_are_all_returned() -> None:
    a = I.render_array(STATIC)
    b = I.render_array(DYNAMIC)
    h = max(a.shape[0], b.shape[0])
    frame = np.full((h + 40, a.shape[1] + b.shape[1] + 60), 255, np.uint8)
    frame[20 : 20 + a.shape[0], 20 : 20 + a.shape[1]] = a
    frame[20 : 20 + b.shape[0], 40 + a.shape[1] : 40 + a.shape[1] + b.shape[1]] = b
    codes = I.read_codes(frame)
    assert sorted(_texts(codes)) == sorted([STATIC, DYNAMIC])
    left = min(codes, key=lambda c: c.position[0][0])
    assert left.text == STATIC


def test_svg_is_well_formed_and_sized() -> None:
    svg = I.render_svg(STATIC, scale=2, border=1)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    n = I.make_symbol(STATIC).symbol_size(scale=2, border=1)[0]
    assert root.get("width") == str(n)


def test_terminal_rendering_has_one_line_per_two_module_rows() -> None:
    out = I.render_terminal(STATIC, border=2)
    size = I.make_symbol(STATIC).symbol_size(scale=1, border=2)[0]
    lines = out.rstrip("\n").split("\n")
    assert len(lines) == (size + 1) // 2
    assert all(len(line) == size for line in lines)


def test_render_array_matches_png_pixels() -> None:
    arr = I.render_array(STATIC, scale=3, border=2)
    png = np.asarray(Image.open(io.BytesIO(I.render_png(STATIC, scale=3, border=2))).convert("L"))
    assert np.array_equal(arr, png)


@pytest.mark.parametrize(
    "source",
    [
        b"",
        b"\x89PNG broken",
        "/no/such/file.png",
        np.zeros((0, 5), np.uint8),
        np.zeros((5, 5), np.float32),
        12345,
    ],
)
def test_unreadable_sources(source) -> None:
    with pytest.raises(EhcError) as exc:
        I.read_codes(source)
    assert exc.value.code is qe.IMAGE_UNREADABLE


def test_no_code_in_a_blank_frame() -> None:
    blank = np.full((200, 200), 255, np.uint8)
    assert I.read_codes(blank) == []
    with pytest.raises(EhcError) as exc:
        I.read_text(blank)
    assert exc.value.code is qe.IMAGE_NO_CODE


@pytest.mark.parametrize("kwargs", [{"ec_level": "X"}, {"scale": 0}, {"border": -1}, {"scale": 2.5}])
def test_render_option_errors(kwargs) -> None:
    with pytest.raises(EhcError) as exc:
        I.render_png(STATIC, **kwargs)
    assert exc.value.code is qe.IMAGE_RENDER_FAILED


def test_render_refuses_empty_and_oversized_text() -> None:
    for text in ("", "A" * 5000):
        with pytest.raises(EhcError) as exc:
            I.render_svg(text)
        assert exc.value.code is qe.IMAGE_RENDER_FAILED


def test_all_formats_reads_other_symbologies() -> None:
    import zxingcpp

    code128 = (
        zxingcpp.create_barcode("HIS-0001", zxingcpp.BarcodeFormat.Code128)
        if hasattr(zxingcpp, "create_barcode")
        else None
    )
    if code128 is None:
        pytest.skip("zxing-cpp without create_barcode (needs >= 2.3): cannot make a Code 128 test image")
    img = np.asarray(code128.to_image(scale=3, add_quiet_zones=True))
    assert I.read_codes(img) == []  # QR family only by default
    assert _texts(I.read_codes(img, formats="all")) == ["HIS-0001"]
