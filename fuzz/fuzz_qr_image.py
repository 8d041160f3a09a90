"""Fuzz image decoding: ``qr_codec.image.read_codes`` on arbitrary bytes (PNG/JPEG/GIF/BMP headers
from the seed corpus, then mutated, and garbage) and on numpy frames built from the bytes.
Contract: a list of codes or EhcError (IMAGE_UNREADABLE) — never another exception."""

from __future__ import annotations

from _harness import Input, contract, instrumented, main

from ehc.errors import EhcError

with instrumented(["qr_codec", "PIL"]):
    import numpy as np

    from qr_codec import image

refusal = contract(EhcError)
MAX_PIXELS = 4_000_000  # keep one input fast; the default bound is tested in tests/reliability


def _frame(inp: Input) -> np.ndarray:
    width, height = 1 + inp.int_below(64), 1 + inp.int_below(64)
    channels = inp.pick((0, 1, 3, 4))
    shape = (height, width) if channels == 0 else (height, width, channels)
    raw = inp.rest().ljust(int(np.prod(shape)), b"\xff")[: int(np.prod(shape))]
    return np.frombuffer(raw, dtype=np.uint8).reshape(shape)


def TestOneInput(data: bytes) -> None:  # noqa: N802
    inp = Input(data)
    mode = inp.byte() % 4
    if mode == 0:
        refusal(lambda: image.read_codes(_frame(inp), try_harder=False))
    else:
        raw = inp.rest()
        refusal(lambda: image.read_codes(raw, try_harder=mode == 1, max_pixels=MAX_PIXELS))


if __name__ == "__main__":
    main(TestOneInput)
