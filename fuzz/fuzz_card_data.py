"""Fuzz the card data decoders: AN / CN / B item encodings, TLV records by tag (the chip-card
reader's parser) and JSON card images (``load_card`` of a mutated image). Contract: only EhcError."""

from __future__ import annotations

import json
import os
import tempfile

from _harness import Input, contract, instrumented, main

from ehc.errors import EhcError

with instrumented(["card_emulators"]):
    import _cards

    from card_emulators.personalise import load_card
    from card_emulators.personalities import encodings
    from card_emulators.personalities.health_layout import ITEMS
    from card_emulators.readers.chipcard import parse_tlv_record

refusal = contract(EhcError)
TAGS = sorted(ITEMS)
_IMAGE_DIR = tempfile.mkdtemp(prefix="ehc-fuzz-image-")
_IMAGE = os.path.join(_IMAGE_DIR, "card.json")
TEMPLATE_IMAGE: dict = {}


def _template_image() -> dict:
    if not TEMPLATE_IMAGE:
        card = _cards.fresh("card")
        card.save(_IMAGE)
        with open(_IMAGE, encoding="utf-8") as fh:
            TEMPLATE_IMAGE.update(json.load(fh))
    return TEMPLATE_IMAGE


def _mutate_json(value: object, inp: Input, depth: int = 0) -> object:
    """Replace one value somewhere in the image with a fuzzed one (type confusion, bad hex, sizes)."""
    if isinstance(value, dict) and value and depth < 6:
        key = inp.pick(sorted(value))
        return {**value, key: _mutate_json(value[key], inp, depth + 1)}
    if isinstance(value, list) and value and depth < 6:
        i = inp.int_below(len(value))
        return value[:i] + [_mutate_json(value[i], inp, depth + 1)] + value[i + 1 :]
    choice = inp.byte() % 7
    text = inp.text(64)
    return [text, inp.byte() - 128, None, [text], {text: text}, text.encode().hex(), 1e308][choice]


def TestOneInput(data: bytes) -> None:  # noqa: N802
    inp = Input(data)
    mode = inp.byte() % 4
    if mode == 0:
        kind = inp.pick(("AN", "CN", "B", "X"))
        raw = inp.rest()
        refusal(lambda: encodings.decode(kind, raw))
        if kind == "AN":
            refusal(lambda: encodings.encode_an(raw.decode("utf-8", "replace"), 1 + raw[0] if raw else 1))
        if kind == "CN":
            refusal(lambda: encodings.encode_cn(raw.decode("utf-8", "replace"), 1 + raw[0] if raw else 1))
    elif mode == 1:
        tag = inp.pick(TAGS)
        raw = inp.rest()
        refusal(lambda: encodings.decode(ITEMS[tag].kind, parse_tlv_record(raw, tag)))
    else:
        image = _mutate_json(_template_image(), inp)
        for _ in range(inp.byte() % 3):
            image = _mutate_json(image, inp)
        with open(_IMAGE, "w", encoding="utf-8") as fh:
            json.dump(image, fh)
        refusal(lambda: load_card(_IMAGE).powerUp())


if __name__ == "__main__":
    main(TestOneInput)
