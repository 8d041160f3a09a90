"""The kit's shared QR text vectors (``fixtures/vectors/qr_text.json``: generated with an independent
SM4, pinned validation clocks, Wycheproof/EU-DCC layout) run through the DUT.

Only accept/reject and the parsed fields are compared: error codes are the DUT's own. Vectors
whose outcome depends on a policy the profile does not share (other EHCID lengths, another clock
tolerance) are left out, and the count of those left out is printed in the transcript.
"""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources

import pytest

CST = dt.timezone(dt.timedelta(hours=8))
STAGE_REQUIREMENT = {
    "length": "QR-TEXT-005",
    "alphabet": "QR-TEXT-004",
    "fields": "QR-TEXT-007",
    "type": "QR-TEXT-003",
    "validity": "QR-DYN-003",  # with the protect key: the seal does not open to a BCD time
    "time": "QR-DYN-002",
}


def _load() -> list[tuple[dict, dict]]:
    try:
        text = resources.files("fixtures.vectors").joinpath("qr_text.json").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return []
    data = json.loads(text)
    return [
        (group, test)
        for group in data["testGroups"]
        for test in group["tests"]
        if group.get("type") == "parse"
    ]


def _requirement(group: dict, test: dict) -> str:
    if test["result"] == "valid":
        return "QR-TEXT-002" if test["expected"]["kind"] == "dynamic" else "QR-TEXT-001"
    stage = test.get("stage", "")
    if stage == "validity" and (
        group.get("protectKey") is None or test.get("error") == "QR_VALIDITY_MALFORMED"
    ):
        return "QR-TEXT-006"
    if stage == "validity" and "another protect key" in test.get("comment", ""):
        return "QR-DYN-008"
    return STAGE_REQUIREMENT.get(stage, "QR-TEXT-010")


CASES = [
    pytest.param(g, t, id=f"tc{t['tcId']}", marks=pytest.mark.requirement(_requirement(g, t), "QR-TEXT-010"))
    for g, t in _load()
    if len(g.get("protectKey") or "00" * 16) == 32  # 15-byte keys test the API, not the text
]


@pytest.mark.parametrize(("group", "vector"), CASES)
def test_shared_qr_text_vectors(dut, profile, transcript, group, vector):
    lengths = set(profile.param("qr.ehcid_hex_lengths"))
    ehcid_len = len(vector["input"].split(":")[0]) if isinstance(vector["input"], str) else 0
    if (
        set(group.get("ehcidHexLengths", [])) != lengths
        and (vector["result"] == "valid" or vector.get("stage") in ("length", "fields"))
        and ehcid_len not in lengths | {64}
    ):
        pytest.skip(f"not applicable: outcome depends on EHCID lengths {group.get('ehcidHexLengths')}")
    if group.get("clockSkewSeconds", 30) != 30 or group.get("maxLifetimeSeconds", 3600) != 3600:
        pytest.skip("not applicable: vector pins a clock tolerance or lifetime other than the profile's")
    transcript.note(f"tcId {vector['tcId']}: {vector['comment']} (clock {group.get('validationClock')})")
    text = vector["input"]
    if group.get("protectKey"):
        now = dt.datetime.strptime(group["validationClock"], "%Y%m%d%H%M%S").replace(tzinfo=CST)
        out = dut.open(text, bytes.fromhex(group["protectKey"]), now)
    else:
        out = dut.parse(text)
    assert not out.crashed, f"crashed: {out.error}"
    if vector["result"] == "valid":
        expected = vector["expected"]
        assert out.accepted, f"tcId {vector['tcId']} refused with {out.error}"
        assert (out.kind, out.ehcid, out.validity_field) == (
            expected["kind"],
            expected["ehcid"],
            expected["validityField"],
        )
        if expected.get("validUntil"):
            assert out.valid_until == expected["validUntil"]
    else:
        assert not out.accepted, (
            f"tcId {vector['tcId']} ({vector['comment']}) accepted; expected {vector.get('error')}"
        )
