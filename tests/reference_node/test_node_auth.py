"""Authentication and authorisation of every call: HMAC-SM3 signature, replay window, nonce, org scope."""

from __future__ import annotations

import time

import grpc
import pytest
from node_helpers import refused, register_request

from reference_node.auth import sign
from reference_node.client import Credentials, NodeClient
from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip
from reference_node.proto.ehc.node.v1 import issuance_pb2_grpc as ig
from reference_node.proto.ehc.node.v1 import registry_pb2 as rp
from reference_node.proto.ehc.node.v1 import verification_pb2 as vp

S = grpc.StatusCode
METHOD = "/ehc.node.v1.IssuanceService/GetCard"


@pytest.fixture
def raw(running):
    channel = grpc.insecure_channel(running.target)
    yield ig.IssuanceServiceStub(channel), running.credentials
    channel.close()


def _md(headers: dict[str, str]) -> list[tuple[str, str]]:
    return list(headers.items())


def test_unsigned_call_is_refused(raw):
    stub, _ = raw
    refused(lambda: stub.GetCard(ip.GetCardRequest(ehcid="A" * 64)), S.UNAUTHENTICATED, "NODE_AUTH_MISSING")


def test_signed_call_passes_auth(raw):
    stub, cred = raw
    req = ip.GetCardRequest(ehcid="A" * 64)
    md = sign(cred.secret, METHOD, req.SerializeToString(), terminal_id=cred.terminal_id)
    refused(lambda: stub.GetCard(req, metadata=_md(md)), S.NOT_FOUND, "NODE_CARD_UNKNOWN")  # past auth


def test_wrong_secret_or_tampered_body(raw):
    stub, cred = raw
    req = ip.GetCardRequest(ehcid="A" * 64)
    md = sign(b"\x00" * 32, METHOD, req.SerializeToString(), terminal_id=cred.terminal_id)
    refused(lambda: stub.GetCard(req, metadata=_md(md)), S.UNAUTHENTICATED, "NODE_AUTH_BAD_SIGNATURE")
    md = sign(
        cred.secret,
        METHOD,
        ip.GetCardRequest(ehcid="B" * 64).SerializeToString(),
        terminal_id=cred.terminal_id,
    )
    refused(lambda: stub.GetCard(req, metadata=_md(md)), S.UNAUTHENTICATED, "NODE_AUTH_BAD_SIGNATURE")
    md = sign(
        cred.secret,
        "/ehc.node.v1.IssuanceService/Query",
        req.SerializeToString(),
        terminal_id=cred.terminal_id,
    )
    refused(lambda: stub.GetCard(req, metadata=_md(md)), S.UNAUTHENTICATED, "NODE_AUTH_BAD_SIGNATURE")


def test_stale_timestamp_and_replayed_nonce(raw, running):
    stub, cred = raw
    req = ip.GetCardRequest(ehcid="A" * 64)
    body = req.SerializeToString()
    window_ms = running.node.config.replay_window_s * 1000
    old = sign(
        cred.secret,
        METHOD,
        body,
        terminal_id=cred.terminal_id,
        timestamp_ms=int(time.time() * 1000) - window_ms - 5000,
    )
    refused(lambda: stub.GetCard(req, metadata=_md(old)), S.UNAUTHENTICATED, "NODE_AUTH_STALE_TIMESTAMP")
    future = sign(
        cred.secret,
        METHOD,
        body,
        terminal_id=cred.terminal_id,
        timestamp_ms=int(time.time() * 1000) + window_ms + 5000,
    )
    refused(lambda: stub.GetCard(req, metadata=_md(future)), S.UNAUTHENTICATED, "NODE_AUTH_STALE_TIMESTAMP")
    md = sign(cred.secret, METHOD, body, terminal_id=cred.terminal_id)
    refused(lambda: stub.GetCard(req, metadata=_md(md)), S.NOT_FOUND, "NODE_CARD_UNKNOWN")
    refused(lambda: stub.GetCard(req, metadata=_md(md)), S.UNAUTHENTICATED, "NODE_AUTH_REPLAYED_NONCE")


def test_unknown_terminal(running):
    stranger = Credentials("9999999999999", b"\x01" * 32, "999999999")
    with NodeClient(running.target, stranger) as c:
        refused(
            lambda: c.issuance.GetCard(ip.GetCardRequest(ehcid="A" * 64)),
            S.UNAUTHENTICATED,
            "NODE_AUTH_BAD_SIGNATURE",  # answered like a wrong key (REL-F19)
        )


def test_terminal_acts_only_within_its_organisation(client, admin):
    reg = client.issuance.Register(register_request())
    other_org = client.context(org_code="370899999")
    refused(
        lambda: client.verification.VerifyQr(vp.VerifyQrRequest(qr_text=reg.qr_text, context=other_org)),
        S.PERMISSION_DENIED,
        "NODE_CONTEXT_MISMATCH",
    )
    other_terminal = client.context(terminal_id="3708000010100")
    refused(
        lambda: client.verification.VerifyQr(vp.VerifyQrRequest(qr_text=reg.qr_text, context=other_terminal)),
        S.PERMISSION_DENIED,
        "NODE_CONTEXT_MISMATCH",
    )
    # an admin may act for any organisation
    assert admin.verification.VerifyQr(
        vp.VerifyQrRequest(qr_text=reg.qr_text, context=other_org)
    ).person.main_index


def test_revoked_credential_is_refused(running, admin):
    admin.registry.UpsertOrganisation(
        rp.Organisation(code="370802001", name="二院", level="2", area_code="370802")
    )
    admin.registry.UpsertTerminal(
        rp.Terminal(terminal_id="3708020010300", org_code="370802001", terminal_type="03")
    )
    cred = admin.registry.IssueCredential(rp.IssueCredentialRequest(terminal_id="3708020010300"))
    terminal = Credentials("3708020010300", bytes.fromhex(cred.secret_hex), "370802001", use_city="370800")
    with NodeClient(running.target, terminal) as c:
        reg = c.issuance.Register(register_request())
        assert reg.card.org_code == "370802001"
        admin.registry.RevokeCredential(rp.IssueCredentialRequest(terminal_id="3708020010300"))
        running.grpc.authenticator.forget("3708020010300")  # skip the 5 s credential cache
        refused(
            lambda: c.issuance.GetCard(ip.GetCardRequest(ehcid=reg.card.ehcid)),
            S.UNAUTHENTICATED,
            "NODE_AUTH_CREDENTIAL_REVOKED",
        )


def test_undecodable_request_is_invalid_argument(running):
    cred = running.credentials
    body = b"\xff\xff\xff"
    with grpc.insecure_channel(running.target) as ch:
        call = ch.unary_unary(METHOD, request_serializer=None, response_deserializer=None)
        md = sign(cred.secret, METHOD, body, terminal_id=cred.terminal_id)
        refused(lambda: call(body, metadata=_md(md)), S.INVALID_ARGUMENT, "NODE_FIELD_BAD_FORMAT")


def test_worked_example_of_docs_node_md():
    """The signature example printed in docs/node.md (fixed vector, TEST-ONLY secret)."""
    secret = bytes.fromhex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
    body = ip.GetCardRequest(ehcid="A" * 64).SerializeToString()
    headers = sign(
        secret,
        METHOD,
        body,
        timestamp_ms=1764126000000,
        nonce="0123456789abcdef0123456789abcdef",
        terminal_id="3708000015500",
    )
    assert headers == {
        "x-ehc-terminal": "3708000015500",
        "x-ehc-timestamp": "1764126000000",
        "x-ehc-nonce": "0123456789abcdef0123456789abcdef",
        "x-ehc-signature": "e1d176e0570b1e12ae246c1f856a30539fb7e1964203d848335da4661cdcf628",
    }


@pytest.mark.parametrize("shared", [False, True])
def test_replay_to_another_node_process(running, db_url, tmp_path, shared):
    """Per-process nonce caches miss a replay sent to another process; shared_nonces catches it."""
    from reference_node.config import NodeConfig
    from reference_node.runtime import start

    url = db_url or str(running.data_dir / "node.db")
    first = start(
        tmp_path / "a",
        db_url=url,
        keys=running.data_dir / "keys.json",
        config=NodeConfig(shared_nonces=shared),
    )
    second = start(
        tmp_path / "b",
        db_url=url,
        keys=running.data_dir / "keys.json",
        config=NodeConfig(shared_nonces=shared),
    )
    try:
        cred = running.credentials
        req = ip.GetCardRequest(ehcid="A" * 64)
        md = _md(sign(cred.secret, METHOD, req.SerializeToString(), terminal_id=cred.terminal_id))
        for node in (first, second):
            with grpc.insecure_channel(node.target) as ch:
                stub = ig.IssuanceServiceStub(ch)
                expected = (
                    ("NODE_AUTH_REPLAYED_NONCE", S.UNAUTHENTICATED)
                    if (node is second and shared)
                    else ("NODE_CARD_UNKNOWN", S.NOT_FOUND)
                )
                refused(lambda stub=stub: stub.GetCard(req, metadata=md), expected[1], expected[0])
    finally:
        first.stop()
        second.stop()


def test_nonce_cache_window_and_bound():
    from reference_node.auth import NonceCache

    cache = NonceCache(window_s=10, max_entries=3)
    assert cache.check_and_add("t|a", 100.0) and not cache.check_and_add("t|a", 105.0)
    assert cache.check_and_add("t|b", 101.0) and cache.check_and_add("t|c", 102.0)
    assert cache.check_and_add("t|d", 103.0)  # over the bound: the oldest ("a") is dropped early
    assert cache.forced_evictions == 1
    roomy = NonceCache(window_s=10)
    assert roomy.check_and_add("t|b", 101.0)
    assert not roomy.check_and_add("t|b", 120.5)  # kept 2 x window after it was seen: until 121
    assert roomy.check_and_add("t|b", 121.5)
    assert roomy.forced_evictions == 0
