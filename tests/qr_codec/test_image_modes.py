"""Images reach zxing-cpp in the cheapest mode it reads: 1-bit and grey untouched, grey palettes as L,
colour palettes as RGB; every mode still decodes (issue #14: a 1-bit PNG converted to RGB cost
1.65-1.85x bare zxing-cpp)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from qr_codec.image import _as_image, read_codes, render_png

TEXT = "0123456789ABCDEF" * 4 + ":1"


def _png(mode: str, colour: bool = False) -> bytes:
    img = Image.open(io.BytesIO(render_png(TEXT, scale=4))).convert("RGB")
    if colour:
        img.paste((0, 0, 120), (0, 0, 4, 4))  # a navy corner pixel block: a colour palette
    converted = img.convert(mode) if mode != "P" else img.convert("P", palette=Image.ADAPTIVE, colors=4)
    buf = io.BytesIO()
    converted.save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("mode", "colour", "expected"),
    [
        ("1", False, "1"),
        ("L", False, "L"),
        ("LA", False, "L"),
        ("P", False, "L"),
        ("P", True, "RGB"),
        ("RGB", False, "RGB"),
    ],
)
def test_each_png_mode_is_read_in_the_cheapest_form(mode, colour, expected, tmp_path):
    png = _png(mode, colour)
    assert _as_image(png).mode == expected
    path = tmp_path / "code.png"
    path.write_bytes(png)
    for source in (png, path):
        assert [c.text for c in read_codes(source)] == [TEXT]
