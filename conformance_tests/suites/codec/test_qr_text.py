"""QR text form: static and dynamic codes, rejection of every malformed variant, no crash.

Positive cases are generated (Hypothesis) from random EHCIDs and validity fields; negative cases
mutate one field at a time so a failure names one pipeline layer (EU DCC style), and a fixed
negative vector file (``conformance_tests/vectors/qr_text_negative.json``) pins known cases.
"""

from __future__ import annotations

import json
import string
import unicodedata
from importlib import resources

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

HEX = "0123456789ABCDEF"
ehcids = st.binary(min_size=32, max_size=32).map(lambda b: b.hex().upper())
validity_fields = st.binary(min_size=16, max_size=16).map(lambda b: b.hex().upper())


def _vectors() -> list[dict]:
    data = resources.files("conformance_tests.vectors").joinpath("qr_text_negative.json").read_text("utf-8")
    return [t for group in json.loads(data)["testGroups"] for t in group["tests"]]


def _accepted_lengths(profile) -> set[int]:
    return set(profile.param("qr.ehcid_hex_lengths", [64]))


@pytest.mark.requirement("QR-TEXT-001", "QR-TEXT-009")
@given(ehcid=ehcids)
def test_static_code_is_accepted_and_round_trips(dut, ehcid):
    out = dut.parse(f"{ehcid}:1")
    assert out.accepted, f"static code refused with {out.error}"
    assert (out.kind, out.ehcid, out.validity_field) == ("static", ehcid, None)


@pytest.mark.requirement("QR-TEXT-002", "QR-TEXT-009")
@given(ehcid=ehcids, v=validity_fields)
def test_dynamic_code_is_accepted_and_round_trips(dut, ehcid, v):
    out = dut.parse(f"{ehcid}:0:{v}")
    assert out.accepted, f"dynamic code refused with {out.error}"
    assert (out.kind, out.ehcid, out.validity_field) == ("dynamic", ehcid, v)


# Decimal digits of other scripts whose value is 0 or 1 (full-width, Arabic-Indic, Devanagari …):
# `\d` and int() take them in Python, .NET and Java (UNICODE_CHARACTER_CLASS), the text does not.
unicode_zero_one = st.characters(categories=["Nd"]).filter(
    lambda c: not c.isascii() and unicodedata.decimal(c, -1) in (0, 1)
)


@pytest.mark.requirement("QR-TEXT-003")
@given(
    ehcid=ehcids,
    type_char=st.characters(codec="ascii", exclude_characters="01:") | unicode_zero_one,
    v=validity_fields,
)
@example(ehcid="A" * 64, type_char="2", v="0" * 32)
@example(ehcid="A" * 64, type_char="\uff11", v="0" * 32).via("full-width 1")
@example(ehcid="A" * 64, type_char="\u0660", v="0" * 32).via("Arabic-Indic 0")
def test_unknown_type_digit_is_rejected(dut, ehcid, type_char, v):
    assert not dut.parse(f"{ehcid}:{type_char}").accepted
    assert not dut.parse(f"{ehcid}:{type_char}:{v}").accepted


@pytest.mark.requirement("QR-TEXT-004")
@given(ehcid=ehcids, data=st.data())
def test_lower_case_or_non_hex_ehcid_is_rejected(dut, ehcid, data):
    position = data.draw(st.integers(0, 63), label="position")
    replacement = data.draw(
        st.sampled_from("abcdef") | st.characters(codec="utf-8").filter(lambda c: c not in HEX and c != ":"),
        label="replacement",
    )
    bad = ehcid[:position] + replacement + ehcid[position + 1 :]
    assert not dut.parse(f"{bad}:1").accepted, "EHCID with a lower-case/non-hex character accepted"


@pytest.mark.requirement("QR-TEXT-005")
@given(length=st.integers(1, 140), data=st.data())
@example(length=32, data=None).via("shorter EHCID lengths other profiles allow")
@example(length=96, data=None).via("longer EHCID lengths other profiles allow")
@example(length=63, data=None)
def test_ehcid_of_wrong_length_is_rejected(dut, profile, length, data):
    accepted = _accepted_lengths(profile)
    ehcid = (
        data.draw(st.text(alphabet=HEX, min_size=length, max_size=length), label="ehcid")
        if data
        else "A" * length
    )
    out = dut.parse(f"{ehcid}:1")
    assert out.accepted == (length in accepted), f"EHCID of {length} hex digits: accepted={out.accepted}"


@pytest.mark.requirement("QR-TEXT-006")
@given(ehcid=ehcids, v=st.text(alphabet=HEX + "abcdefXYZ-", min_size=0, max_size=48))
def test_malformed_validity_field_is_rejected(dut, ehcid, v):
    well_formed = len(v) == 32 and all(c in HEX for c in v)
    out = dut.parse(f"{ehcid}:0:{v}")
    assert out.accepted == well_formed, f"validity field {v!r}: accepted={out.accepted}"


@pytest.mark.requirement("QR-TEXT-007")
@given(ehcid=ehcids, v=validity_fields)
def test_fields_must_match_the_type(dut, ehcid, v):
    assert not dut.parse(f"{ehcid}:1:{v}").accepted, "static code with a validity field accepted"
    assert not dut.parse(f"{ehcid}:0").accepted, "dynamic code without validity field accepted"
    assert not dut.parse(f"{ehcid}:0:").accepted, "dynamic code with an empty validity field accepted"


@pytest.mark.requirement("QR-TEXT-008")
@given(
    ehcid=ehcids,
    # plus what scanners add and a vendor may "clean up": an AIM symbology identifier (]Q1 = QR
    # Code), GS/RS/EOT control characters, no-break, line-separator and NEL spaces
    junk=st.sampled_from(
        [" ", "\t", "\n", "\r\n", ":", "\u3000", "\ufeff", "\x00"]
        + ["]Q1", "]Q3", "\x1d", "\x1e", "\x04", "\u00a0", "\u2028", "\x85"]
    ),
    where=st.sampled_from(["before", "after", "inside"]),
)
def test_whitespace_and_separators_are_not_trimmed(dut, ehcid, junk, where):
    text = {"before": junk + f"{ehcid}:1", "after": f"{ehcid}:1" + junk, "inside": f"{ehcid}:{junk}1"}[where]
    assert not dut.parse(text).accepted, f"text with {junk!r} {where} accepted"


@pytest.mark.requirement("QR-TEXT-008")
@pytest.mark.parametrize(
    ("prefix", "suffix"),
    [("]Q1", ""), ("]Q3", ""), ("", "\x1d"), ("", "\x1e"), ("", "\x04"), ("", "\u00a0"), ("\u2028", "")],
    ids=["aim-q1", "aim-q3", "gs", "rs", "eot", "nbsp", "line-separator"],
)
def test_scanner_framing_is_not_stripped(dut, prefix, suffix):
    """What a scanner adds (an AIM symbology identifier, GS/RS/EOT, a no-break or line-separator
    space) is part of the text the parser gets: a code with it is not a national code. Every case
    on every run (a sampled draw may miss the one a vendor strips)."""
    ehcid = "AB" * 32
    for body in (f"{ehcid}:1", f"{ehcid}:0:{'C' * 32}"):
        assert not dut.parse(prefix + body + suffix).accepted, f"{prefix + body + suffix!r} accepted"


@pytest.mark.parametrize(
    "vector",
    [
        pytest.param(
            v,
            id=f"tc{v['tcId']}-{v['layer']}",
            marks=pytest.mark.requirement(v["requirement"], "QR-TEXT-010"),
        )
        for v in _vectors()
    ],
)
def test_negative_vectors(dut, transcript, vector):
    transcript.note(f"tcId {vector['tcId']}: {vector['comment']}")
    out = dut.parse(vector["text"])
    assert not out.crashed, f"crashed: {out.error}"
    assert not out.accepted, f"tcId {vector['tcId']} ({vector['comment']}) accepted"


@pytest.mark.requirement("QR-TEXT-010", "SEC-011")
@given(text=st.text(max_size=300) | st.text(alphabet=HEX + ":0", max_size=120) | st.just("A" * 5000))
def test_arbitrary_input_never_crashes(dut, text):
    for call in (dut.parse, dut.classify):
        out = call(text)
        assert not out.crashed, f"{call.__name__} crashed with {out.error}"
        assert out.accepted or out.error, "rejection without an error code"


@pytest.mark.requirement("QR-TEXT-011")
@given(token=st.text(alphabet=string.ascii_letters + string.digits + "-_.=+/?&", min_size=1, max_size=256))
@example(token="T" * 66).via("the length of a static code")
@example(token="WXPAY-" + "Z7" * 46 + "Q").via("the length of a dynamic code (99)")
def test_opaque_tokens_are_forwarded_unchanged(dut, token):
    out = dut.classify(token)
    assert out.accepted, f"opaque token of {len(token)} characters refused with {out.error}"
    assert out.text == token, "token changed on its way to the node"


# Local EMPI tokens may carry Chinese text (docs/assumptions.md: the limit is in characters):
# a limit counted in UTF-8 bytes refuses a 100-character CJK token (300 bytes) an ASCII test
# never reaches.
cjk_tokens = st.text(
    alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=256
)


@pytest.mark.requirement("QR-TEXT-011")
@given(
    token=cjk_tokens
    | st.tuples(cjk_tokens, st.text(alphabet=string.ascii_uppercase, max_size=40)).map("".join)
)
@example(token="济宁市第一人民医院就诊码" * 21).via("252 characters, 756 UTF-8 bytes")
def test_unicode_opaque_tokens_count_characters_not_bytes(dut, profile, token):
    limit = int(profile.param("qr.opaque_max_length", 256))
    token = token[:limit]
    out = dut.classify(token)
    assert out.accepted, (
        f"opaque token of {len(token)} characters ({len(token.encode())} UTF-8 bytes) refused with {out.error}"
    )
    assert out.text == token, "token changed on its way to the node"


@pytest.mark.requirement("QR-TEXT-012")
@given(extra=st.integers(1, 300))
def test_opaque_tokens_over_the_limit_are_rejected(dut, profile, extra):
    limit = int(profile.param("qr.opaque_max_length", 256))
    assert not dut.classify("T" * (limit + extra)).accepted


@pytest.mark.requirement("QR-TEXT-013", "SEC-002")
@given(ehcid=ehcids, defect=st.sampled_from(["lower", "type", "extra", "short"]))
def test_errors_do_not_echo_identifiers(dut, ehcid, defect):
    text = {
        "lower": f"{ehcid.lower()}:1",
        "type": f"{ehcid}:7",
        "extra": f"{ehcid}:1:{ehcid}",
        "short": f"{ehcid[:-1]}:1",
    }[defect]
    if defect == "lower" and text == text.upper():
        text = "a" + text[1:]  # an all-digit EHCID has no lower-case form: force one
    out = dut.parse(text)
    assert not out.accepted
    message = (out.message or "").upper()
    for half in (ehcid[:32], ehcid[32:]):
        assert half not in message, "error message echoes (half of) the EHCID"
