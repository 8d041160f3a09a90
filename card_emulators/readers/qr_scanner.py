"""QR scanner simulator (camera mode): an image file, encoded bytes or a numpy camera frame in,
the decoded text out as a :class:`~ehc.spec.model.MediumRead`.

Decoding is qr_codec's (zxing-cpp). The scanner does not judge the text: a well-formed national
code and an opaque platform token both go to the node, which decides (DIGEST 1.3). ``raw`` says
which of the two the text looks like, for the terminal's log.
"""

from __future__ import annotations

from typing import Any

from card_emulators.readers.errors import QR_BAD_IMAGE, QR_MANY_CODES, QR_NOT_FOUND
from card_emulators.readers.media import MEDIUM_E_CARD_QR
from ehc.errors import EhcError
from ehc.spec.model import MediumRead
from qr_codec import image as qr_image
from qr_codec import text as qr_text

__all__ = ["decode_image", "scan_image", "medium_read_from_text", "CameraScanner"]


def decode_image(source: Any) -> list[str]:
    """Texts of every QR symbol in ``source`` (path, bytes, PIL image, numpy frame), in reading order."""
    try:
        return [code.text for code in qr_image.read_codes(source)]
    except EhcError as exc:
        raise EhcError(QR_BAD_IMAGE, exc.message, cause=exc.code.name) from None


def scan_image(source: Any, *, allow_many: bool = False) -> MediumRead:
    """One scan as a real scanner reports it: exactly one code, else QR_NOT_FOUND / QR_MANY_CODES.

    A phone screen showing two codes (e.g. 二码合一 pages) is ambiguous for a terminal; with
    ``allow_many`` the first code wins, as most scanners do.
    """
    texts = decode_image(source)
    if not texts:
        raise EhcError(QR_NOT_FOUND)
    if len(texts) > 1 and not allow_many:
        raise EhcError(QR_MANY_CODES, count=len(texts))
    return medium_read_from_text(texts[0], source="camera", codes_in_image=len(texts))


def medium_read_from_text(text: str, **raw: Any) -> MediumRead:
    """Wrap scanned text: ``raw.kind`` is 'static', 'dynamic' (form checked, no key) or 'opaque'."""
    try:
        kind = qr_text.parse(text).kind
    except EhcError:
        kind = "opaque"
    return MediumRead(MEDIUM_E_CARD_QR, text, {"kind": str(kind), **raw})


class CameraScanner:
    """A scanner watching a camera: feed it frames, it reports each code once.

    Real scanners suppress re-reads of the code still in view ("same-code delay") so a patient
    holding the phone up does not register five times; a different code is reported at once.
    ``clock`` is injectable for tests. Frames without a code (or unreadable) yield None.
    """

    def __init__(self, same_code_delay: float = 2.0, clock: Any = None) -> None:
        import time

        self.same_code_delay = same_code_delay
        self._clock = clock or time.monotonic
        self._last_text: str | None = None
        self._last_seen = float("-inf")
        self.frames = 0
        self.suppressed = 0

    def feed(self, frame: Any) -> MediumRead | None:
        self.frames += 1
        try:
            texts = decode_image(frame)
        except EhcError:
            return None
        if not texts:
            return None
        now = self._clock()
        text = texts[0]
        if text == self._last_text and now - self._last_seen < self.same_code_delay:
            self._last_seen = now  # still in view: keep suppressing
            self.suppressed += 1
            return None
        self._last_text, self._last_seen = text, now
        return medium_read_from_text(text, source="camera", codes_in_image=len(texts))
