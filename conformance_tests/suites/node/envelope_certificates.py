"""检测备案 on a platform envelope (NODE-CERT-001 for node-tencent, node-qinghai, node-sichuan): a
certified-terminals-only node refuses a terminal without a registered PASS certification report
whatever door it comes through, not only on ehc.node.v1.

The envelope suites reach the node as one app; the rule needs a second, uncertified one and the
operator's hand (register it, certify the suite's own app first, as the lab does before a run:
conformance_tests/labcert.py). The kit does this on the reference node it started (directly or
behind a mutant platform), with the rule turned on for the block as the profile deploys it
(conformance_tests.adapters.node.deployed_config). A vendor's platform holds its own registry: the
test says so and leaves the requirement not tested (a gating requirement: the run does not pass).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

from conformance_tests.adapters.node import CERTIFICATE_RULE, with_deployed_rules
from conformance_tests.labcert import certify_terminals
from reference_node.proto.ehc.node.v1 import registry_pb2 as R

from .helpers import new_digits


@dataclass(frozen=True)
class App:
    """A terminal of the suite's organisation the node's registry lists (even as CERTIFIED) but no
    certification report names: what the platform must refuse."""

    terminal_id: str
    secret: bytes
    org_code: str


def _running(dut: Any) -> Any:
    """The reference node the envelope adapter started (behind a mutant platform too), or None."""
    owner = getattr(dut, "_owner", None)
    running = getattr(owner, "running", owner)
    return running if running is not None and hasattr(running, "node") else None


@contextlib.contextmanager
def uncertified_app(dut: Any) -> Iterator[App]:
    """The node behind ``dut`` admits certified terminals only for the block, the suite's own app
    certified by a TEST-ONLY lab; yields an uncertified app of the same organisation."""
    from reference_node.client import signed_channel
    from reference_node.proto.ehc.node.v1 import registry_pb2_grpc

    running = _running(dut)
    if running is None:
        pytest.skip(
            "NODE-CERT-001 through an envelope needs a second, uncertified app of the platform and "
            "the operator's registry; the kit provides both only on the reference node it starts "
            "(docs/certification.md, 'What a PASS does not cover')"
        )
    profile = dut.run.profile
    suite, admin = running.credentials, running.admin_credentials
    terminal_id = f"{suite.org_code}9901{new_digits(4)}"
    channel = signed_channel(running.target, admin)
    try:
        registry = registry_pb2_grpc.RegistryServiceStub(channel)
        registry.UpsertTerminal(
            R.Terminal(
                terminal_id=terminal_id, org_code=suite.org_code, terminal_type="99",
                certification_status=R.CERTIFICATION_STATUS_CERTIFIED, role=R.TERMINAL_ROLE_TERMINAL,
                description="TEST-ONLY conformance: registered, no certification report",
            )
        )  # fmt: skip
        secret = bytes.fromhex(
            registry.IssueCredential(R.IssueCredentialRequest(terminal_id=terminal_id)).secret_hex
        )
    finally:
        channel.close()
    certify_terminals(running.target, admin, [suite.terminal_id], profile.name)
    node = running.node
    before = node.config
    node.config = with_deployed_rules(before, profile, CERTIFICATE_RULE)
    try:
        yield App(terminal_id, secret, suite.org_code)
    finally:
        node.config = replace(node.config, require_certified_terminals=before.require_certified_terminals)
