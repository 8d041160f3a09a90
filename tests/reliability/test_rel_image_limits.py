"""Image size bound of qr_codec.image.read_codes (finding REL-F1: a 140 KB PNG declaring 144 Mpx
cost ~600 MB and ~6 s before the bound existed)."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

from ehc.errors import EhcError
from qr_codec import image


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG declaring width x height with a tiny (truncated) IDAT: nothing worth decompressing."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("width,height", [(12000, 12000), (100000, 1000), (65535, 65535)])
def test_oversized_png_is_refused_from_its_header(width, height):
    with pytest.raises(EhcError) as info:
        image.read_codes(_png_header_only(width, height))
    assert info.value.code.name == "IMAGE_UNREADABLE"
    # PIL itself refuses over 2 x its own bound (179 Mpx) at open; below that the kit's bound does
    if width * height < 179_000_000:
        assert info.value.detail["limit"] == image.MAX_IMAGE_PIXELS


def test_oversized_numpy_frame_is_refused_and_the_limit_is_configurable():
    frame = np.full((200, 300), 255, dtype=np.uint8)
    assert image.read_codes(frame) == []
    with pytest.raises(EhcError) as info:
        image.read_codes(frame, max_pixels=200 * 300 - 1)
    assert info.value.detail["pixels"] == 60000


def test_a_code_at_the_usual_size_still_reads():
    png = image.render_png("A" * 64 + ":1")
    assert image.read_text(png) == "A" * 64 + ":1"
