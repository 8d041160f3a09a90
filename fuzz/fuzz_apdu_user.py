"""Fuzz the resident health card (WS/T 543 user card) APDU engine: raw byte strings and structured
APDUs, from a fresh card and from cards already authenticated for update in DDF1 and DF03 (so
UPDATE RECORD/BINARY, cyclic appends and secure messaging are reached). Contract: see _apdu.py."""

from __future__ import annotations

from _harness import Input, instrumented, main

with instrumented(["card_emulators"]):
    import _cards
    from _apdu import run_sequence

STATES = [_cards.Reusable(name) for name in ("card", "card_ddf1_auth", "card_df03_auth")]


def TestOneInput(data: bytes) -> None:  # noqa: N802
    inp = Input(data)
    card = inp.pick(STATES).restore()
    run_sequence(card, inp, bytes.fromhex("3F00"))


if __name__ == "__main__":
    main(TestOneInput)
