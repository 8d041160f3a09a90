"""检测备案 at the terminal (issue #15): under a profile that admits certified terminals only
(shandong-jining), a terminal the node refuses as not certified identifies no patient.

The kit's reference node (the upper tester) gets its certificate rule on for the test; the terminal
under test runs with its own configured identity, which holds no certificate yet. Verdicts rest on
the node's side: the calls the recording proxy saw (refused, no usage report) and the node's usage
table. The code is first accepted with the rule off, so a terminal with an offline cache has seen
it: the "not certified" refusal must not be answered from that cache. Then the lab registers a
TEST-ONLY certificate for the terminal (``conformance_tests.labcert``) and the same code is accepted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from conformance_tests.labcert import certify_terminals
from conformance_tests.suites.node.helpers import reference_node, register
from reference_node.proto.ehc.node.v1 import usage_pb2 as U

NOT_CERTIFIED = "NODE_TERMINAL_NOT_CERTIFIED"
SCENE = "0101012"


def _person(answer: dict) -> dict | None:
    return answer.get("result", {}).get("person")


@contextlib.contextmanager
def _certificate_rule(node: Any, terminal_id: str) -> Iterator[None]:
    """The reference node's 检测备案 rule on for the block (the kit's node runs with it off). The
    terminal's cached credential is dropped on both edges so its next call is judged by the rule."""
    before = node.config.require_certified_terminals
    node.config = replace(node.config, require_certified_terminals=True)
    node._credential_dropped(terminal_id)
    try:
        yield
    finally:
        node.config = replace(node.config, require_certified_terminals=before)
        node._credential_dropped(terminal_id)


def _uses(dut: Any, ehcid: str) -> int:
    """How many usage records the node holds for ``ehcid`` (read as the operator)."""
    found, error = dut.node.call("usage", "QueryUsage", U.QueryUsageRequest(ehcid=ehcid), "admin")
    assert error is None, f"the operator cannot read the usage records: {error}"
    return len(found.records)


@pytest.mark.requirement("TERM-019")
def test_terminal_refused_as_not_certified_identifies_no_patient(dut, profile):
    node = reference_node(dut.node)
    if node is None:  # the terminal suite always hosts its own node; say so if that ever changes
        pytest.skip("the kit's node is not in process: its certificate rule cannot be switched on")
    terminal_id = dut.credentials.terminal_id
    holder = register(dut.node)
    first = dut.present_qr_text(holder.qr_text, scene=SCENE)
    assert (p := _person(first)) and p["main_index"] == holder.person.main_index, (
        f"the valid code was not accepted with the certificate rule off: {first.get('result')}"
    )
    uses = _uses(dut, holder.card.ehcid)
    with _certificate_rule(node, terminal_id):
        mark = dut.mark()
        answer = dut.present_qr_text(holder.qr_text, scene=SCENE)
        calls = dut.received(mark)
        assert not _person(answer), (
            "the node refused the terminal as not certified, yet a patient was shown "
            "(a local cache or offline mode)"
        )
        code = answer.get("result", {}).get("error", {}).get("code")
        assert code == NOT_CERTIFIED, f"the refusal is shown as {code!r}, not {NOT_CERTIFIED}"
        # The node's side: the terminal asked, was refused, and nothing it sent was accepted.
        verifies = [c for c in calls if c.method == "VerifyQr"]
        assert verifies and all(c.outcome == "PERMISSION_DENIED" for c in verifies), (
            f"the node did not refuse a verification: {[(c.method, c.outcome) for c in calls]}"
        )
        assert not [c for c in calls if c.outcome == "OK"], (
            f"the node accepted calls of an uncertified terminal: {[c.method for c in calls]}"
        )
        assert _uses(dut, holder.card.ehcid) == uses, "the node holds a use of the refused presentation"

        certify_terminals(dut.node.target, dut.node.credentials("admin"), [terminal_id], profile.name)
        mark = dut.mark()
        again = dut.present_qr_text(holder.qr_text, scene=SCENE)
        assert (p := _person(again)) and p["main_index"] == holder.person.main_index, (
            f"the certified terminal's presentation was not accepted: {again.get('result')}"
        )
        assert [c.outcome for c in dut.received(mark, "VerifyQr")] == ["OK"], (
            "the node did not verify the code of the certified terminal once"
        )
