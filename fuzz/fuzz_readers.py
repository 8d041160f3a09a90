"""Fuzz the identity-medium parsers a terminal feeds with reader output: the ID-card reader (256-byte
UCS-2 text block, decoded JSON record), the social-security-card reader record, the keyboard-wedge
stream parser, and the GB 11643 / birth-certificate validators. Contract: only EhcError."""

from __future__ import annotations

import json

from _harness import Input, contract, instrumented, main

from ehc.errors import EhcError

with instrumented(["card_emulators", "ehc"]):
    from card_emulators.readers import idcard, sscard, wedge
    from ehc.spec import identifiers

refusal = contract(EhcError)
ENTERS = (None, "CR", "LF", "CRLF")


def _wedge(inp: Input) -> None:
    enter = inp.pick(ENTERS)
    validator = inp.pick((wedge.national_qr_form, None))
    # bounded: the diagnosis is quadratic in the scan length (finding REL-F3, tested separately)
    stream = inp.rest()[:160].decode("utf-8", "replace")
    for scan in wedge.parse_wedge_stream(stream, validator=validator,
                                         expected_enter=enter):  # fmt: skip
        scan.to_dict()  # every scan must render (masked) without raising
        if scan.ok:
            refusal(scan.medium_read)


def _idcard_record(inp: Input) -> None:
    text = inp.rest().decode("utf-8", "replace")
    refusal(lambda: idcard.parse_record(text))
    try:
        obj = json.loads(text)
    except ValueError:
        return
    refusal(lambda: idcard.read_id_card(obj) if isinstance(obj, (dict, str)) else None)


def TestOneInput(data: bytes) -> None:  # noqa: N802
    inp = Input(data)
    mode = inp.byte() % 6
    if mode == 0:
        block = inp.rest()
        refusal(lambda: idcard.read_id_card(block))
    elif mode == 1:
        _idcard_record(inp)
    elif mode == 2:
        line = inp.rest().decode("utf-8", "replace")
        refusal(lambda: sscard.read_ssc(line))
        refusal(lambda: sscard.read_ssc(line, sscard.SscFormat(False, False)))
    elif mode == 3:
        _wedge(inp)
    else:
        text = inp.rest().decode("utf-8", "replace")
        refusal(lambda: identifiers.normalise_citizen_id(text))
        refusal(lambda: identifiers.validate_birth_certificate(text))
        refusal(lambda: identifiers.citizen_id_facts(text))
        identifiers.validate_citizen_id(text)  # a bool, never an exception
        identifiers.mask_id(text)


if __name__ == "__main__":
    main(TestOneInput)
