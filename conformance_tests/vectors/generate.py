"""Generate ``qr_text_negative.json``: malformed QR texts, one defect each, named by layer.

Run ``python -m conformance_tests.vectors.generate`` after changing the cases; a test checks the
committed file equals the generated one. Format (Wycheproof-like): ``testGroups[].tests[]`` with
``tcId``, ``comment``, ``text``, ``result`` ("invalid"), ``layer``, ``requirement`` (the
catalogue id the case checks) and ``flags``.
"""

from __future__ import annotations

import json
from pathlib import Path

E = "0123456789ABCDEF" * 4  # a well-formed 64-digit EHCID
V = "89ABCDEF01234567" * 2  # a well-formed 32-digit validity field

LAYER_REQUIREMENT = {
    "Empty": "QR-TEXT-010",
    "Length": "QR-TEXT-005",
    "ValidityLength": "QR-TEXT-006",
    "LowerCase": "QR-TEXT-004",
    "NonHex": "QR-TEXT-004",
    "ValidityAlphabet": "QR-TEXT-006",
    "Whitespace": "QR-TEXT-008",
    "Separator": "QR-TEXT-008",
    "ExtraField": "QR-TEXT-007",
    "MissingField": "QR-TEXT-007",
    "Order": "QR-TEXT-003",
    "Type": "QR-TEXT-003",
    "Oversize": "SEC-011",
}

CASES: list[tuple[str, str, str, list[str]]] = [
    # layer, comment, text, flags (the first flag names the requirement the case checks)
    ("length", "empty text", "", ["Empty"]),
    ("length", "EHCID only, no type", E, ["MissingField"]),
    ("length", "63-digit EHCID", E[:-1] + ":1", ["Length"]),
    ("length", "65-digit EHCID", E + "0:1", ["Length"]),
    ("length", "dynamic with 31-digit validity", f"{E}:0:{V[:-1]}", ["ValidityLength"]),
    ("length", "dynamic with 33-digit validity", f"{E}:0:{V}0", ["ValidityLength"]),
    ("alphabet", "lower-case EHCID", E.lower() + ":1", ["LowerCase"]),
    ("alphabet", "one lower-case digit in EHCID", "a" + E[1:] + ":1", ["LowerCase"]),
    ("alphabet", "lower-case validity", f"{E}:0:{V.lower()}", ["ValidityAlphabet", "LowerCase"]),
    ("alphabet", "G in EHCID", "G" + E[1:] + ":1", ["NonHex"]),
    ("alphabet", "full-width digit in EHCID", "\uff10" + E[1:] + ":1", ["NonHex", "Unicode"]),
    ("alphabet", "full-width colon", E + "\uff1a1", ["Separator", "Unicode"]),
    ("alphabet", "semicolon separator", E + ";1", ["Separator"]),
    ("fields", "leading space", " " + E + ":1", ["Whitespace"]),
    ("fields", "trailing space", E + ":1 ", ["Whitespace"]),
    ("fields", "trailing newline", E + ":1\n", ["Whitespace"]),
    ("fields", "CRLF after dynamic code", f"{E}:0:{V}\r\n", ["Whitespace"]),
    ("fields", "byte-order mark", "\ufeff" + E + ":1", ["Whitespace", "Unicode"]),
    ("fields", "double separator", E + "::1", ["Separator"]),
    ("fields", "trailing separator on static", E + ":1:", ["Separator"]),
    ("fields", "trailing separator on dynamic", f"{E}:0:{V}:", ["Separator"]),
    ("fields", "static with validity", f"{E}:1:{V}", ["ExtraField"]),
    ("fields", "dynamic without validity", E + ":0", ["MissingField"]),
    ("fields", "dynamic with empty validity", E + ":0:", ["MissingField"]),
    ("fields", "dynamic with a fourth field", f"{E}:0:{V}:1", ["ExtraField"]),
    ("fields", "type before EHCID", "1:" + E, ["Order"]),
    ("type", "type 2", E + ":2", ["Type"]),
    ("type", "type 9", E + ":9", ["Type"]),
    ("type", "type A", E + ":A", ["Type"]),
    ("type", "type 00", E + ":00", ["Type"]),
    ("type", "type 01", E + ":01", ["Type"]),
    ("type", "empty type", E + ":", ["Type"]),
    ("type", "type -1", E + ":-1", ["Type"]),
    ("type", "dynamic type with static layout", f"{E}:2:{V}", ["Type"]),
    ("validity", "validity with a G", f"{E}:0:G{V[1:]}", ["ValidityAlphabet"]),
    ("validity", "validity with space inside", f"{E}:0:{V[:16]} {V[17:]}", ["Whitespace"]),
    ("oversize", "4096 hex digits", "A" * 4096 + ":1", ["Oversize"]),
    ("oversize", "EHCID repeated", E * 8 + ":1", ["Oversize", "Length"]),
]


def build() -> dict:
    groups: dict[str, list[dict]] = {}
    for tc_id, (layer, comment, text, flags) in enumerate(CASES, start=1):
        groups.setdefault(layer, []).append(
            {
                "tcId": tc_id,
                "comment": comment,
                "text": text,
                "result": "invalid",
                "layer": layer,
                "requirement": LAYER_REQUIREMENT[flags[0]],
                "flags": flags,
            }
        )
    return {
        "algorithm": "EHC-QR-TEXT",
        "schema": "ehc-qr-text-vectors/1",
        "source": "DIGEST §1.3; one defect per case",
        "numberOfTests": len(CASES),
        "testGroups": [{"layer": layer, "tests": tests} for layer, tests in groups.items()],
    }


def render() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=1) + "\n"


if __name__ == "__main__":
    Path(__file__).with_name("qr_text_negative.json").write_text(render(), encoding="utf-8")
