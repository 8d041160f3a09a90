"""Seeded, named image degradations for reader acceptance tests (numpy + PIL only).

A *preset* is a name such as ``blur-1.5`` bound to one degradation kind and its parameters, plus a
severity: ``mild`` presets are what any decent terminal must read (a test can require, say, 95 % of
the ``blur-1.5`` set), ``severe`` presets chart where readers give up. Every sample first places the
code at a random offset on a light, slightly grey canvas (so samples of one preset differ), then
applies its degradation. Randomness comes from ``numpy.random.default_rng((seed, H(preset name),
sample))``: the same seed gives byte-identical images (same numpy and Pillow versions), whatever subset is generated
and whatever presets a later version adds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from ehc.errors import EhcError
from qr_codec.errors import DEGRADE_UNKNOWN
from qr_codec.image import DEFAULT_EC_LEVEL, render_array

__all__ = [
    "Preset",
    "PRESETS",
    "DegradedSample",
    "PresetResult",
    "apply",
    "degraded_set",
    "read_rates",
    "preset_names",
    "KINDS",
]

Array = np.ndarray


# ------------------------------------------------------------------------ degradation kinds
def _scale(img: Array, rng: np.random.Generator, factor: float) -> Array:
    h, w = img.shape
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return np.asarray(Image.fromarray(img).resize(size, Image.Resampling.BILINEAR))


def _rotate(img: Array, rng: np.random.Generator, degrees: float) -> Array:
    pil = Image.fromarray(img)
    return np.asarray(pil.rotate(degrees, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=235))


def _perspective_coefficients(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> list[float]:
    """PIL PERSPECTIVE maps output (x, y) to input; solve the 8 unknowns from 4 point pairs."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return np.linalg.solve(np.array(rows, float), np.array(rhs, float)).tolist()


def _perspective(img: Array, rng: np.random.Generator, strength: float) -> Array:
    h, w = img.shape
    corners = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)]
    moved = [
        (x + rng.uniform(-strength, strength) * w, y + rng.uniform(-strength, strength) * h)
        for x, y in corners
    ]
    coeffs = _perspective_coefficients(corners, moved)
    out = Image.fromarray(img).transform(
        (w, h), Image.Transform.PERSPECTIVE, coeffs, resample=Image.Resampling.BILINEAR, fillcolor=235
    )
    return np.asarray(out)


def _blur(img: Array, rng: np.random.Generator, radius: float) -> Array:
    return np.asarray(Image.fromarray(img).filter(ImageFilter.GaussianBlur(radius)))


def _noise(img: Array, rng: np.random.Generator, sigma: float) -> Array:
    return np.clip(img + rng.normal(0.0, sigma, img.shape), 0, 255).astype(np.uint8)


def _contrast(img: Array, rng: np.random.Generator, dark: int, light: int) -> Array:
    """Map black to ``dark`` and white to ``light``: a dim screen or faded print."""
    return (dark + img.astype(np.float32) * ((light - dark) / 255.0)).astype(np.uint8)


def _invert(img: Array, rng: np.random.Generator) -> Array:
    return 255 - img


def _glare(img: Array, rng: np.random.Generator, strength: float, radius: float) -> Array:
    """A bright reflection on a phone screen: an additive Gaussian blob at a random spot."""
    h, w = img.shape
    cy, cx = rng.uniform(0.25, 0.75) * h, rng.uniform(0.25, 0.75) * w
    y, x = np.ogrid[:h, :w]
    blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * (radius * min(h, w)) ** 2))
    return np.clip(img + strength * 255.0 * blob, 0, 255).astype(np.uint8)


def _moire(img: Array, rng: np.random.Generator, amplitude: float, period: float) -> Array:
    """Interference of a photographed screen: a sinusoidal grating at a random angle."""
    h, w = img.shape
    theta = rng.uniform(0, np.pi)
    y, x = np.ogrid[:h, :w]
    wave = np.sin(2 * np.pi * (x * np.cos(theta) + y * np.sin(theta)) / period)
    return np.clip(img + amplitude * 127.0 * wave, 0, 255).astype(np.uint8)


def _code_box(img: Array) -> tuple[int, int, int]:
    """Top, left and side of the code: the bounding box of its dark modules."""
    ys, xs = np.nonzero(img < 128)
    if ys.size == 0:
        return 0, 0, min(img.shape)
    return int(ys.min()), int(xs.min()), int(max(ys.max() - ys.min(), xs.max() - xs.min()) + 1)


_FINDER = 0.2  # a finder pattern plus separator is 8 of 41 modules (version 6): ~20 % of the side


def _damage(img: Array, rng: np.random.Generator, fraction: float) -> Array:
    """A scratch or sticker over the *data* area: a rectangle of ``fraction`` of the code area,
    blanked white or black, placed where it misses the three finder patterns (destroying a finder
    defeats detection whatever the error-correction level: that is the separate ``finder`` kind)."""
    top, left, side = _code_box(img)
    area = fraction * side * side
    f = _FINDER * side
    out = img.copy()
    for _ in range(50):
        aspect = rng.uniform(0.5, 2.0)
        rh = int(min(side, max(1, np.sqrt(area / aspect))))
        rw = int(min(side, max(1, area / rh)))
        y0 = int(rng.integers(0, side - rh + 1))
        x0 = int(rng.integers(0, side - rw + 1))
        near_top, near_left = y0 < f, x0 < f
        near_bottom, near_right = y0 + rh > side - f, x0 + rw > side - f
        if not ((near_top and near_left) or (near_top and near_right) or (near_bottom and near_left)):
            break
    out[top + y0 : top + y0 + rh, left + x0 : left + x0 + rw] = 255 if rng.random() < 0.5 else 0
    return out


def _finder(img: Array, rng: np.random.Generator, corners: int) -> Array:
    """Blank ``corners`` of the three finder patterns (white): detection should then fail."""
    top, left, side = _code_box(img)
    f = int(_FINDER * side)
    spots = [(top, left), (top, left + side - f), (top + side - f, left)]
    out = img.copy()
    for i in rng.permutation(3)[:corners]:
        y, x = spots[i]
        out[y : y + f, x : x + f] = 255
    return out


def _jpeg(img: Array, rng: np.random.Generator, quality: int) -> Array:
    import io

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("L"))


def _phone(
    img: Array, rng: np.random.Generator, blur: float, glare: float, moire: float, tilt: float
) -> Array:
    """A phone screen photographed by a kiosk camera: tilt, moiré, glare and defocus together."""
    img = _perspective(img, rng, tilt)
    img = _moire(img, rng, moire, 3.7)
    img = _glare(img, rng, glare, 0.25)
    return _blur(img, rng, blur)


KINDS: dict[str, Callable[..., Array]] = {
    "scale": _scale,
    "rotate": _rotate,
    "perspective": _perspective,
    "blur": _blur,
    "noise": _noise,
    "contrast": _contrast,
    "invert": _invert,
    "glare": _glare,
    "moire": _moire,
    "damage": _damage,
    "finder": _finder,
    "jpeg": _jpeg,
    "phone": _phone,
}


@dataclass(frozen=True, slots=True)
class Preset:
    name: str
    kind: str
    params: dict[str, Any]
    severity: str  # "mild" (must read) or "severe" (charted, may fail)


def _p(name: str, kind: str, severity: str, **params: Any) -> Preset:
    return Preset(name, kind, params, severity)


#: Named presets, calibrated for the default level Q and 4 px modules (render scale 4): at level M
#: "damage-0.12" fails (M recovers ~8 % of the area), so a test of another level picks its own set.
PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        _p("clean", "scale", "mild", factor=1.0),
        _p("scale-2", "scale", "mild", factor=2.0),
        _p("scale-0.6", "scale", "mild", factor=0.6),
        _p("rotate-10", "rotate", "mild", degrees=10.0),
        _p("rotate-45", "rotate", "mild", degrees=45.0),
        _p("rotate-180", "rotate", "mild", degrees=180.0),
        _p("perspective-0.06", "perspective", "mild", strength=0.06),
        _p("blur-1", "blur", "mild", radius=1.0),
        _p("blur-1.5", "blur", "mild", radius=1.5),
        _p("noise-25", "noise", "mild", sigma=25.0),
        _p("contrast-low", "contrast", "mild", dark=90, light=150),
        _p("invert", "invert", "mild"),
        _p("glare-0.5", "glare", "mild", strength=0.5, radius=0.15),
        _p("moire-0.3", "moire", "mild", amplitude=0.3, period=3.7),
        _p("damage-0.05", "damage", "mild", fraction=0.05),
        _p("damage-0.12", "damage", "mild", fraction=0.12),
        _p("jpeg-25", "jpeg", "mild", quality=25),
        _p("jpeg-5", "jpeg", "mild", quality=5),
        _p("phone-screen", "phone", "mild", blur=0.8, glare=0.35, moire=0.2, tilt=0.05),
        # severe: where readers are expected to start failing (see docs/assumptions.md)
        _p("scale-0.25", "scale", "severe", factor=0.25),
        _p("blur-2", "blur", "severe", radius=2.0),
        _p("blur-4", "blur", "severe", radius=4.0),
        _p("noise-90", "noise", "severe", sigma=90.0),
        _p("contrast-faint", "contrast", "severe", dark=120, light=135),
        _p("glare-1.0", "glare", "severe", strength=1.0, radius=0.3),
        _p("moire-0.9", "moire", "severe", amplitude=0.9, period=3.7),
        _p("damage-0.3", "damage", "severe", fraction=0.3),
        _p("perspective-0.3", "perspective", "severe", strength=0.3),
        _p("finder-1", "finder", "severe", corners=1),
    ]
}


def preset_names(severity: str | None = None) -> list[str]:
    """Preset names, optionally only the ``mild`` or ``severe`` ones."""
    return [n for n, p in PRESETS.items() if severity is None or p.severity == severity]


def apply(image: Array, kind: str, params: dict[str, Any], rng: np.random.Generator) -> Array:
    """Apply one degradation kind to a grayscale uint8 image."""
    fn = KINDS.get(kind)
    if fn is None:
        raise EhcError(DEGRADE_UNKNOWN, f"unknown degradation kind {kind!r}", known=",".join(KINDS))
    try:
        out = fn(image, rng, **params)
    except (TypeError, ValueError, np.linalg.LinAlgError) as exc:
        raise EhcError(DEGRADE_UNKNOWN, f"bad parameters for {kind}: {exc}") from None
    return np.ascontiguousarray(out, dtype=np.uint8)


def _place(code: Array, rng: np.random.Generator) -> Array:
    """Put the code on a canvas 1.5x its size at a random offset, background grey 225-245."""
    h, w = code.shape
    canvas = np.full((h * 3 // 2, w * 3 // 2), int(rng.integers(225, 246)), np.uint8)
    y0, x0 = rng.integers(0, h // 2 + 1), rng.integers(0, w // 2 + 1)
    canvas[y0 : y0 + h, x0 : x0 + w] = code
    return canvas


@dataclass(frozen=True, slots=True)
class DegradedSample:
    name: str
    params: dict[str, Any]
    image: Array
    expected_text: str
    severity: str
    index: int

    def __iter__(self):  # lets callers unpack (name, params, image, expected_text)
        return iter((self.name, self.params, self.image, self.expected_text))


def _name_stream(name: str) -> int:
    """A stable number per preset name (not its position: adding presets must not shift others)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")


def degraded_set(
    text: str,
    seed: int,
    *,
    presets: Iterable[str] | None = None,
    samples: int = 4,
    ec_level: str = DEFAULT_EC_LEVEL,
    scale: int = 4,
) -> list[DegradedSample]:
    """A reproducible named set: ``samples`` images per preset (all presets by default)."""
    names = list(PRESETS) if presets is None else list(presets)
    unknown = [n for n in names if n not in PRESETS]
    if unknown:
        raise EhcError(DEGRADE_UNKNOWN, f"unknown preset(s): {', '.join(unknown)}")
    if not (isinstance(samples, int) and 1 <= samples <= 1000):
        raise EhcError(DEGRADE_UNKNOWN, "samples must be 1..1000")
    if not (isinstance(seed, int) and 0 <= seed < 2**63):
        raise EhcError(DEGRADE_UNKNOWN, "seed must be a non-negative integer")
    base = render_array(text, ec_level=ec_level, scale=scale)
    out = []
    for name in names:
        preset = PRESETS[name]
        stream = _name_stream(name)
        for i in range(samples):
            rng = np.random.default_rng((seed, stream, i))
            image = apply(_place(base, rng), preset.kind, preset.params, rng)
            out.append(DegradedSample(name, dict(preset.params), image, text, preset.severity, i))
    return out


@dataclass(frozen=True, slots=True)
class PresetResult:
    """How often a reader decoded the expected text from one preset's images."""

    name: str
    severity: str
    read: int
    total: int

    @property
    def rate(self) -> float:
        return self.read / self.total


def read_rates(
    text: str,
    seed: int,
    reader: Callable[[Array], Iterable[str]] | None = None,
    *,
    presets: Iterable[str] | None = None,
    samples: int = 20,
    ec_level: str = DEFAULT_EC_LEVEL,
) -> list[PresetResult]:
    """Run a reader over a degraded set: one result per preset, in preset order.

    ``reader`` takes a grayscale frame and returns the texts it decoded (default: the kit's
    zxing-cpp reader). A terminal acceptance test then says, e.g., every mild preset >= 0.95.
    A reader that raises counts as not reading that image.
    """
    if reader is None:
        from qr_codec.image import read_codes

        def reader(image: Array) -> list[str]:
            return [c.text for c in read_codes(image)]

    results: dict[str, list[int]] = {}
    severity: dict[str, str] = {}
    for s in degraded_set(text, seed, presets=presets, samples=samples, ec_level=ec_level):
        try:
            ok = s.expected_text in list(reader(s.image))
        except Exception:  # a DUT's reader failing on one image is a miss, not a crash of the run
            ok = False
        counts = results.setdefault(s.name, [0, 0])
        counts[0] += ok
        counts[1] += 1
        severity[s.name] = s.severity
    return [PresetResult(n, severity[n], r, t) for n, (r, t) in results.items()]
