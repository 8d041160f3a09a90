"""Fuzz the QR text pipeline: parse (form, then validity with the protect key), classify, opaque
tokens, validity open, EHCID validation and identity recovery. Contract: only EhcError."""

from __future__ import annotations

from datetime import datetime, timedelta

from _harness import Input, contract, instrumented, main

from ehc.errors import EhcError

with instrumented(["qr_codec", "ehc"]):
    from qr_codec import ehcid as qr_ehcid
    from qr_codec import text as qrtext

KEY = bytes(range(16))  # TEST-ONLY protect key
ROOT = bytes(range(16, 32))  # TEST-ONLY root key
NOW = datetime(2026, 11, 26, 12, 0, 0)
MAIN_INDEX = bytes(range(32))  # TEST-ONLY
EHCID = qr_ehcid.derive_ehcid(MAIN_INDEX, ROOT, "01", "11010519491231002X")
refusal = contract(EhcError)


def _mutated_valid(inp: Input) -> str:
    """A valid dynamic code with a few characters replaced: reaches the validity decryption."""
    text = qrtext.make_dynamic(EHCID, KEY, NOW + timedelta(seconds=inp.int_below(4000)))
    chars = list(text)
    for _ in range(inp.int_below(4)):
        chars[inp.int_below(len(chars))] = chr(inp.byte())
    return "".join(chars)


def TestOneInput(data: bytes) -> None:  # noqa: N802 - libFuzzer's name
    inp = Input(data)
    mode = inp.byte() % 6
    text = _mutated_valid(inp) if mode == 5 else inp.rest().decode("utf-8", "replace")
    if mode in (0, 5):
        refusal(lambda: qrtext.parse(text, KEY, NOW))
        refusal(lambda: qrtext.parse(text))
    elif mode == 1:
        refusal(lambda: qrtext.classify(text))
    elif mode == 2:
        refusal(lambda: qrtext.open_validity(KEY, text))
    elif mode == 3:
        refusal(lambda: qr_ehcid.recover_identity(text, MAIN_INDEX, ROOT))
    else:
        refusal(lambda: qrtext.accept_opaque(text))
        refusal(lambda: qr_ehcid.validate_ehcid(text))


if __name__ == "__main__":
    main(TestOneInput)
