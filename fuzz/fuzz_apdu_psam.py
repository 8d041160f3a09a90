"""Fuzz the PSAM APDU engine (VERIFY PIN, DELIVER KEY, CIPHER DATA, PSO), locked and opened.
Contract: see _apdu.py."""

from __future__ import annotations

from _harness import Input, instrumented, main

with instrumented(["card_emulators"]):
    import _cards
    from _apdu import run_sequence

STATES = [_cards.Reusable(name) for name in ("psam", "psam_open")]


def TestOneInput(data: bytes) -> None:  # noqa: N802
    inp = Input(data)
    card = inp.pick(STATES).restore()
    run_sequence(card, inp, bytes.fromhex("3F00"))


if __name__ == "__main__":
    main(TestOneInput)
