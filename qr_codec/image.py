"""QR images: render with segno (PNG, SVG, terminal text, numpy array), read with zxing-cpp.

Default error-correction level ``Q`` (25 % recovery, see docs/assumptions.md): a 99-character
dynamic code is pure QR alphanumeric (upper-case hex and ':'), so it fits version 6 (41 modules)
at Q, version 5 at M and version 8 at H. Q survives the phone-screen glare and partial damage of the
degraded set while keeping modules large in a 200 px image; a vendor printing a logo over the code
should pass ``ec_level="H"``.

Reading hands numpy frames and PIL images straight to ``zxingcpp.read_barcodes`` (no copy), so the
kit costs only the wrapping of results (measured in benchmarks/bench_qr.py).
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import segno
import zxingcpp
from PIL import Image

from ehc.errors import EhcError
from qr_codec.errors import IMAGE_NO_CODE, IMAGE_RENDER_FAILED, IMAGE_UNREADABLE

__all__ = [
    "DEFAULT_EC_LEVEL",
    "DEFAULT_SCALE",
    "DEFAULT_BORDER",
    "QR_FORMATS",
    "DecodedCode",
    "make_symbol",
    "render_png",
    "render_svg",
    "render_terminal",
    "render_array",
    "read_codes",
    "read_text",
    "MAX_IMAGE_PIXELS",
]

DEFAULT_EC_LEVEL = "Q"
DEFAULT_SCALE = 4  # px per module: a 99-character code at Q is (41 + 8) * 4 = 196 px, ~ the 200 px seen
DEFAULT_BORDER = 4  # the quiet zone ISO/IEC 18004 requires
_EC_LEVELS = ("L", "M", "Q", "H")
#: What a health-card reader looks for by default: the QR family. ``formats="all"`` reads any symbology.
# (parsed from a string: works on zxing-cpp 2.x and 3.x, where ``|`` on formats is deprecated)
QR_FORMATS = zxingcpp.barcode_formats_from_str("QRCode,MicroQRCode,rMQRCode")
#: Largest image ``read_codes`` decodes (width x height). A 140 KB PNG can declare 144 Mpx and cost
#: ~600 MB and seconds of CPU; 50 Mpx covers a 48 MP phone photo. Checked from the header, before
#: decompression (docs/assumptions.md, "reliability"); pass ``max_pixels`` to change it.
MAX_IMAGE_PIXELS = 50_000_000


@dataclass(frozen=True, slots=True)
class DecodedCode:
    """One symbol found in an image: text, symbology name and the four corner points (x, y)."""

    text: str
    format: str
    position: tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]
    ec_level: str
    orientation: int

    def to_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "format": self.format,
            "position": [list(p) for p in self.position],
            "ec_level": self.ec_level,
            "orientation": self.orientation,
        }


# ------------------------------------------------------------------------ render
def make_symbol(text: str, ec_level: str = DEFAULT_EC_LEVEL, version: int | None = None) -> segno.QRCode:
    """The segno QR symbol (never Micro QR: readers in the field expect a full QR code)."""
    level = ec_level.upper() if isinstance(ec_level, str) else ""
    if level not in _EC_LEVELS:
        raise EhcError(IMAGE_RENDER_FAILED, f"error-correction level must be one of {', '.join(_EC_LEVELS)}")
    if not isinstance(text, str) or not text:
        raise EhcError(IMAGE_RENDER_FAILED, "nothing to encode")
    try:
        return segno.make(text, error=level, version=version, micro=False, boost_error=False)
    except (segno.DataOverflowError, ValueError) as exc:
        raise EhcError(IMAGE_RENDER_FAILED, str(exc)) from None


def _check_geometry(scale: int, border: int) -> None:
    if not (isinstance(scale, int) and 1 <= scale <= 100 and isinstance(border, int) and 0 <= border <= 100):
        raise EhcError(IMAGE_RENDER_FAILED, "scale must be 1..100 and border 0..100 modules")


def render_png(
    text: str,
    *,
    ec_level: str = DEFAULT_EC_LEVEL,
    scale: int = DEFAULT_SCALE,
    border: int = DEFAULT_BORDER,
    dark: str = "#000",
    light: str = "#fff",
) -> bytes:
    """PNG bytes of the code."""
    _check_geometry(scale, border)
    buf = io.BytesIO()
    try:
        make_symbol(text, ec_level).save(buf, kind="png", scale=scale, border=border, dark=dark, light=light)
    except ValueError as exc:
        raise EhcError(IMAGE_RENDER_FAILED, str(exc)) from None
    return buf.getvalue()


def render_svg(
    text: str,
    *,
    ec_level: str = DEFAULT_EC_LEVEL,
    scale: int = DEFAULT_SCALE,
    border: int = DEFAULT_BORDER,
    dark: str = "#000",
    light: str = "#fff",
) -> str:
    """SVG document (text) of the code."""
    _check_geometry(scale, border)
    buf = io.BytesIO()
    try:
        make_symbol(text, ec_level).save(buf, kind="svg", scale=scale, border=border, dark=dark, light=light)
    except ValueError as exc:
        raise EhcError(IMAGE_RENDER_FAILED, str(exc)) from None
    return buf.getvalue().decode("utf-8")


def render_terminal(text: str, *, ec_level: str = DEFAULT_EC_LEVEL, border: int = DEFAULT_BORDER) -> str:
    """The code as Unicode half-block text for a terminal (two modules per character row)."""
    _check_geometry(1, border)
    buf = io.StringIO()
    make_symbol(text, ec_level).terminal(out=buf, border=border, compact=True)
    return buf.getvalue()


def render_array(
    text: str, *, ec_level: str = DEFAULT_EC_LEVEL, scale: int = DEFAULT_SCALE, border: int = DEFAULT_BORDER
) -> np.ndarray:
    """Grayscale uint8 image (0 dark, 255 light) as a numpy array: the input of the degrader."""
    _check_geometry(scale, border)
    modules = np.array(make_symbol(text, ec_level).matrix, dtype=bool)
    modules = np.pad(modules, border, constant_values=False)
    pixels = np.where(modules, 0, 255).astype(np.uint8)
    return np.repeat(np.repeat(pixels, scale, axis=0), scale, axis=1)


# ------------------------------------------------------------------------ read
def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise EhcError(
            IMAGE_UNREADABLE,
            f"image has {width}x{height} pixels, more than the {max_pixels} allowed",
            pixels=width * height,
            limit=max_pixels,
        )


def _as_image(source: Any, max_pixels: int = MAX_IMAGE_PIXELS) -> Any:
    """What zxing-cpp accepts: numpy gray/BGR arrays and PIL images pass through untouched."""
    if isinstance(source, np.ndarray):
        if source.dtype != np.uint8 or source.ndim not in (2, 3) or 0 in source.shape:
            raise EhcError(IMAGE_UNREADABLE, "numpy frame must be non-empty uint8, HxW gray or HxWx3 BGR")
        _check_pixels(source.shape[1], source.shape[0], max_pixels)
        if source.ndim == 3 and source.shape[2] not in (1, 3):
            if source.shape[2] != 4:
                raise EhcError(IMAGE_UNREADABLE, "numpy frame must have 1, 3 or 4 channels")
            source = np.ascontiguousarray(source[:, :, :3])  # BGRA: drop alpha
        return source
    if isinstance(source, Image.Image):
        _check_pixels(*source.size, max_pixels)
        if source.mode not in ("L", "RGB", "RGBA", "1"):
            return source.convert("RGB")
        return source
    try:
        with warnings.catch_warnings():  # the pixel bound below replaces PIL's bomb warning
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            if isinstance(source, (bytes, bytearray, memoryview)):
                img = Image.open(io.BytesIO(bytes(source)))
            elif isinstance(source, (str, os.PathLike)):
                img = Image.open(Path(source))
            else:
                raise EhcError(IMAGE_UNREADABLE, f"unsupported image source {type(source).__name__}")
        _check_pixels(*img.size, max_pixels)  # from the header: nothing decompressed yet
        img.load()
    except EhcError:
        raise
    except Exception as exc:  # noqa: BLE001 - PIL's decoders also raise SyntaxError, EOFError, struct.error...
        raise EhcError(IMAGE_UNREADABLE, f"cannot open image: {type(exc).__name__}") from None
    return _zxing_mode(img)


def _zxing_mode(img: Any) -> Any:
    """The cheapest image zxing-cpp reads as is: 1-bit and grey pass through (a 1-bit PNG read as
    RGB cost 1.65-1.85x bare zxing-cpp, measured in benchmarks/bench_qr.py), a grey palette or
    grey+alpha becomes L, anything else RGB."""
    if img.mode in ("1", "L", "RGB", "RGBA"):
        return img
    if img.mode == "LA":
        return img.convert("L")
    if img.mode == "P":
        palette = img.getpalette() or []
        grey = all(palette[i] == palette[i + 1] == palette[i + 2] for i in range(0, len(palette) - 2, 3))
        return img.convert("L" if grey and "transparency" not in img.info else "RGB")
    return img.convert("RGB")


def _corner(p: Any) -> tuple[int, int]:
    return (p.x, p.y)


def read_codes(
    source: Any, *, formats: Any = QR_FORMATS, try_harder: bool = True, max_pixels: int = MAX_IMAGE_PIXELS
) -> list[DecodedCode]:
    """Every code zxing-cpp finds in ``source`` (path, encoded bytes, PIL image or numpy frame).

    Returns an empty list when there is none; raises IMAGE_UNREADABLE for an image it cannot open.
    ``formats="all"`` reads every symbology; ``try_harder=False`` skips the rotated, downscaled
    and inverted passes (faster, for clean frames). Images over ``max_pixels`` are refused with
    IMAGE_UNREADABLE before they are decompressed.
    """
    image = _as_image(source, max_pixels)
    if isinstance(formats, str) and formats == "all":
        formats = zxingcpp.BarcodeFormat.All
    try:
        found = zxingcpp.read_barcodes(
            image, formats=formats, try_rotate=try_harder, try_downscale=try_harder, try_invert=try_harder
        )
    except (ValueError, TypeError, RuntimeError) as exc:
        raise EhcError(IMAGE_UNREADABLE, f"zxing-cpp cannot read this image: {exc}") from None
    out = []
    for b in found:
        p = b.position
        out.append(
            DecodedCode(
                b.text,
                str(b.format),
                (_corner(p.top_left), _corner(p.top_right), _corner(p.bottom_right), _corner(p.bottom_left)),
                b.ec_level,
                b.orientation,
            )
        )
    return out


def read_text(source: Any, **kwargs: Any) -> str:
    """The text of the first code found; IMAGE_NO_CODE when there is none."""
    codes = read_codes(source, **kwargs)
    if not codes:
        raise EhcError(IMAGE_NO_CODE)
    return codes[0].text
