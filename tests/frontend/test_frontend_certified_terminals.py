"""H7: under a certified-terminals-only profile (检测备案, shandong-jining) a hospital front-end must
not launder its terminals. The front-end names the real terminal upstream (x-ehc-on-behalf-of,
signed); the NODE applies its terminal rule to it (registered, certified, unrevoked, of the
front-end's organisation); a front-end that names nobody is refused; the front-end's cache serves
only a terminal the node accepted within the cache bound."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import grpc
import pytest
from fe_helpers import new_card, refused

from conformance_tests.labcert import certify_terminals
from reference_node.auth import H_ON_BEHALF_OF, sign
from reference_node.client import Credentials, NodeClient
from reference_node.config import NodeConfig
from reference_node.frontend.auth import enrol_at_node, issue_terminal
from reference_node.frontend.relay import Frontend, FrontendConfig, start_frontend
from reference_node.proto.ehc.node.v1 import registry_pb2 as rp
from reference_node.proto.ehc.node.v1 import verification_pb2 as vp
from reference_node.testing import start_node

PROFILE = "shandong-jining"
FE = "FE-H7"
GOOD, BAD, GHOST = "TERM-OK", "TERM-UNCERT", "TERM-GHOST"  # certified / registered only / unknown at the node
DENIED = grpc.StatusCode.PERMISSION_DENIED


@dataclass
class Setup:
    node: object
    fe: Frontend
    hospital: Credentials
    terminals: dict[str, Credentials]
    cert_id: str


@pytest.fixture
def jining(tmp_path: Path) -> Iterator[Setup]:
    config = replace(NodeConfig(), require_certified_terminals=True, profile=PROFILE)
    node = start_node(tmp_path, config=config)
    fe: Frontend | None = None
    try:
        with node.client("admin") as admin:
            org = node.credentials.org_code
            hospital = enrol_at_node(admin, FE, org, certified=True)
            for t in (GOOD, BAD):  # both registered (备案) as terminals of the hospital
                admin.registry.UpsertTerminal(
                    rp.Terminal(terminal_id=t, org_code=org, terminal_type="01", role=rp.TERMINAL_ROLE_TERMINAL,
                                certification_status=rp.CERTIFICATION_STATUS_PENDING)
                )  # fmt: skip
        # the lab's PASS reports: one for the front-end product and the node's test terminal, one for GOOD
        certify_terminals(node.target, node.admin_credentials, [FE, node.credentials.terminal_id], PROFILE)
        cert_id = certify_terminals(node.target, node.admin_credentials, [GOOD], PROFILE)
        fe = start_frontend(
            tmp_path / "fe", node.target, hospital,
            config=FrontendConfig(poll_interval_s=60, cache_max_age_s=30, upstream_timeout_s=2.0, breaker_s=0.0),
        )  # fmt: skip
        terminals = {t: issue_terminal(fe.store, t, hospital) for t in (GOOD, BAD, GHOST)}
        yield Setup(node, fe, hospital, terminals, cert_id)
    finally:
        if fe is not None:
            fe.stop()
        node.stop()


def _verify(s: Setup, terminal: str, text: str) -> vp.VerifyResponse:
    with NodeClient(s.fe.target, s.terminals[terminal]) as tc:
        return tc.verification.VerifyQr(vp.VerifyQrRequest(qr_text=text, context=tc.context()))


def test_an_uncertified_terminal_behind_a_front_end_identifies_no_patient(jining: Setup) -> None:
    s = jining
    with s.node.client() as nc:
        ehcid, static = new_card(nc)
    assert _verify(s, GOOD, static).card.ehcid == ehcid
    for t in (BAD, GHOST):
        refused(lambda t=t: _verify(s, t, static), DENIED, "NODE_TERMINAL_NOT_CERTIFIED")
    # the node saw who it was: the relay log has the node's answer for the real terminal
    assert [r[:4] for r in s.fe.store.log_rows() if r[0] == BAD] == [
        (BAD, "VerifyQr", "upstream", "NODE_TERMINAL_NOT_CERTIFIED")
    ]


def test_the_node_refuses_a_front_end_that_names_nobody_or_a_stranger(jining: Setup) -> None:
    """What a laundering front-end does (everything under its own credential) and what a relay
    must not claim (a terminal of another organisation; a non-front-end relaying)."""
    s = jining
    with s.node.client() as nc:
        static = new_card(nc)[1]
    method = "/ehc.node.v1.VerificationService/VerifyQr"

    def direct(creds: Credentials, behalf: str) -> None:
        with NodeClient(s.node.target, creds) as c:
            request = vp.VerifyQrRequest(qr_text=static, context=c.context())
            stub = grpc.insecure_channel(s.node.target)
            try:
                md = sign(creds.secret, method, request.SerializeToString(), terminal_id=creds.terminal_id,
                          on_behalf_of=behalf)  # fmt: skip
                stub.unary_unary(method, request_serializer=lambda m: m.SerializeToString())(
                    request, metadata=tuple(md.items())
                )
            finally:
                stub.close()

    refused(lambda: direct(s.hospital, ""), DENIED, "NODE_TERMINAL_NOT_CERTIFIED")
    direct(s.hospital, GOOD)  # the honest relay
    with s.node.client("admin") as admin:
        admin.registry.UpsertTerminal(
            rp.Terminal(terminal_id="TERM-ELSE", org_code=s.node.admin_credentials.org_code, terminal_type="01",
                        role=rp.TERMINAL_ROLE_TERMINAL, certification_status=rp.CERTIFICATION_STATUS_PENDING)
        )  # fmt: skip
    refused(lambda: direct(s.hospital, "TERM-ELSE"), DENIED, "NODE_CONTEXT_MISMATCH")
    # an ordinary (certified) terminal cannot relay for another
    refused(lambda: direct(s.node.credentials, GOOD), DENIED, "NODE_CONTEXT_MISMATCH")
    # the header is signed: changing it on the way breaks the signature
    with NodeClient(s.node.target, s.hospital) as c:
        request = vp.VerifyQrRequest(qr_text=static, context=c.context())
    md = sign(s.hospital.secret, method, request.SerializeToString(), terminal_id=FE, on_behalf_of=GOOD)
    md[H_ON_BEHALF_OF] = BAD
    ch = grpc.insecure_channel(s.node.target)
    try:
        refused(
            lambda: ch.unary_unary(method, request_serializer=lambda m: m.SerializeToString())(
                request, metadata=tuple(md.items())
            ),
            grpc.StatusCode.UNAUTHENTICATED, "NODE_AUTH_BAD_SIGNATURE",
        )  # fmt: skip
    finally:
        ch.close()


def test_revocation_and_the_cache_serve_no_uncertified_terminal(jining: Setup) -> None:
    s = jining
    with s.node.client() as nc:
        static = new_card(nc)[1]
    _verify(s, GOOD, static)  # cached now (a static code the node accepted)
    # the certificate revoked at the node: the next relayed call of GOOD is refused
    with s.node.client("admin") as admin:
        admin.registry.RevokeCertificate(rp.RevokeCertificateRequest(cert_id=s.cert_id, reason="H7 test"))
    refused(lambda: _verify(s, GOOD, static), DENIED, "NODE_TERMINAL_NOT_CERTIFIED")
    s.node.stop()  # the node down: the cache vouches for the card, never for these terminals
    # GOOD: the node's last word on it was the refusal; BAD: the node never accepted it
    refused(lambda: _verify(s, GOOD, static), DENIED, "NODE_TERMINAL_NOT_CERTIFIED")
    refused(
        lambda: _verify(s, BAD, static), grpc.StatusCode.UNAVAILABLE, "NODE_FRONTEND_UPSTREAM_UNAVAILABLE"
    )
    assert [r[2:4] for r in s.fe.store.log_rows()[-2:]] == [
        ("cache", "NODE_TERMINAL_NOT_CERTIFIED"), ("cache", "NODE_FRONTEND_UPSTREAM_UNAVAILABLE")
    ]  # fmt: skip


def test_usage_reports_of_an_uncertified_terminal_are_not_laundered_either(jining: Setup) -> None:
    """Store and forward: the front-end cannot know before the node answers, so BAD's first report
    is acknowledged (durable at the front-end) — then the node refuses BAD at delivery: the row is
    kept REJECTED with the node's code, GOOD's reports around it reach the node in order, and once
    the node has refused BAD the front-end refuses BAD's next report itself."""
    import time

    from fe_helpers import node_usage, usage

    s = jining
    org = s.hospital.org_code
    with s.node.client() as nc:
        ehcid, static = new_card(nc)
    now = time.strftime("%Y%m%d%H%M%S", time.gmtime(time.time() + 8 * 3600))
    clients = {t: NodeClient(s.fe.target, s.terminals[t]) for t in (GOOD, BAD)}
    try:
        assert clients[GOOD].usage.Report(usage("h7-g1", org, ehcid, time=now)).accepted
        assert clients[BAD].usage.Report(usage("h7-b1", org, ehcid, time=now)).accepted
        assert clients[GOOD].usage.Report(usage("h7-g2", org, ehcid, time=now)).accepted
        deadline = time.monotonic() + 10
        while s.fe.store.counts()["pending"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert s.fe.store.rejected() == [("h7-b1", BAD, "NODE_TERMINAL_NOT_CERTIFIED")]
        with s.node.client() as nc:
            assert node_usage(nc, ehcid) == ["h7-g1", "h7-g2"]
        # the node refused BAD (a relayed call): from now on the front-end refuses it itself
        refused(lambda: _verify(s, BAD, static), DENIED, "NODE_TERMINAL_NOT_CERTIFIED")
        refused(
            lambda: clients[BAD].usage.Report(usage("h7-b2", org, ehcid, time=now)),
            DENIED, "NODE_TERMINAL_NOT_CERTIFIED",
        )  # fmt: skip
    finally:
        for c in clients.values():
            c.close()
