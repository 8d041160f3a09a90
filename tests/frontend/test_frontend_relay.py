"""The front-end relay in process, against a real node over loopback gRPC: identity, cache bounds,
refusals, store-and-forward acks. The kill -9 scenarios are in test_frontend_outage.py."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from fe_helpers import new_card, node_usage, refused, usage

from reference_node.client import Credentials, NodeClient
from reference_node.frontend.auth import issue_terminal
from reference_node.frontend.relay import Frontend, FrontendConfig, start_frontend
from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip
from reference_node.proto.ehc.node.v1 import registry_pb2 as rp
from reference_node.proto.ehc.node.v1 import usage_pb2 as up
from reference_node.proto.ehc.node.v1 import verification_pb2 as vp
from reference_node.testing import start_node

POLL_S = 0.3
MAX_AGE_S = 2.0
UNAVAILABLE = grpc.StatusCode.UNAVAILABLE


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[object, Frontend, Credentials]]:
    node = start_node(tmp_path)
    fe = start_frontend(
        tmp_path / "fe", node.target, node.credentials,
        config=FrontendConfig(poll_interval_s=POLL_S, cache_max_age_s=MAX_AGE_S, upstream_timeout_s=2.0),
    )  # fmt: skip
    creds = issue_terminal(fe.store, "HIS-0001", node.credentials)
    try:
        yield node, fe, creds
    finally:
        fe.stop()
        node.stop()


def _verify(tc: NodeClient, text: str) -> tuple[vp.VerifyResponse, str]:
    response, call = tc.verification.VerifyQr.with_call(
        vp.VerifyQrRequest(qr_text=text, context=tc.context())
    )
    return response, dict(call.trailing_metadata()).get("ehc-frontend-source", "")


def _wait(predicate, timeout: float) -> float:  # noqa: ANN001
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"not within {timeout} s")


def test_verification_is_relayed_under_the_hospital_identity(setup) -> None:  # noqa: ANN001
    node, fe, creds = setup
    with node.client() as nc, NodeClient(fe.target, creds) as tc:
        ehcid, static = new_card(nc)
        response, source = _verify(tc, static)
        assert source == "upstream" and response.card.ehcid == ehcid
        # the node saw the front-end's terminal; the front-end knows which real terminal it was
        assert fe.store.log_rows()[-1] == ("HIS-0001", "VerifyQr", "upstream", "OK", response.verification_id)
        # a terminal naming another terminal (the hospital's own, even) or organisation is refused
        for ctx in (tc.context(terminal_id=node.credentials.terminal_id), tc.context(org_code="999999999")):
            refused(
                lambda ctx=ctx: tc.verification.VerifyQr(vp.VerifyQrRequest(qr_text=static, context=ctx)),
                grpc.StatusCode.PERMISSION_DENIED, "NODE_CONTEXT_MISMATCH",
            )  # fmt: skip


def test_terminals_authenticate_to_the_front_end(setup) -> None:  # noqa: ANN001
    node, fe, creds = setup
    request = vp.VerifyQrRequest(qr_text="X" * 10)
    stranger = Credentials("HIS-9999", b"k" * 32, creds.org_code)
    with NodeClient(fe.target, stranger) as c:
        refused(
            lambda: c.verification.VerifyQr(request),
            grpc.StatusCode.UNAUTHENTICATED,
            "NODE_AUTH_BAD_SIGNATURE",  # an unknown terminal is answered like a wrong key (H13)
        )
    forged = Credentials("HIS-0001", b"k" * 32, creds.org_code)
    with NodeClient(fe.target, forged) as c:
        refused(
            lambda: c.verification.VerifyQr(request),
            grpc.StatusCode.UNAUTHENTICATED,
            "NODE_AUTH_BAD_SIGNATURE",
        )
    # the node's own terminal credential is not a credential of the front-end
    with NodeClient(fe.target, node.credentials) as c:
        refused(
            lambda: c.verification.VerifyQr(request),
            grpc.StatusCode.UNAUTHENTICATED,
            "NODE_AUTH_BAD_SIGNATURE",  # an unknown terminal is answered like a wrong key (H13)
        )
    fe.store.revoke_terminal("HIS-0001")
    with NodeClient(fe.target, creds) as c:
        refused(
            lambda: c.verification.VerifyQr(request),
            grpc.StatusCode.UNAUTHENTICATED,
            "NODE_AUTH_CREDENTIAL_REVOKED",
        )
    # operator APIs are not relayed: the hospital's credential must not lend them to terminals
    with NodeClient(fe.target, issue_terminal(fe.store, "HIS-0002", node.credentials)) as c:
        refused(
            lambda: c.registry.ListTerminals(rp.ListTerminalsRequest()),
            grpc.StatusCode.UNIMPLEMENTED, "NODE_FRONTEND_NOT_RELAYED",
        )  # fmt: skip


def test_static_codes_from_cache_only_within_the_bound(setup) -> None:  # noqa: ANN001
    node, fe, creds = setup
    with node.client() as nc, NodeClient(fe.target, creds) as tc:
        ehcid, static = new_card(nc)
        dynamic = nc.issuance.GetQrCode(ip.GetQrCodeRequest(ehcid=ehcid, code_type=0)).qr_text
        never_seen = new_card(nc)[1]
        assert _verify(tc, static)[1] == "upstream"
        assert _verify(tc, dynamic)[1] == "upstream"
        node.stop()  # the city node unreachable
        response, source = _verify(tc, static)
        assert (
            source == "cache" and response.card.ehcid == ehcid and response.verification_id.startswith("FE")
        )
        # dynamic codes: single-use counters live in the node, never answered here
        refused(lambda: _verify(tc, dynamic), UNAVAILABLE, "NODE_FRONTEND_UPSTREAM_UNAVAILABLE")
        refused(lambda: _verify(tc, never_seen), UNAVAILABLE, "NODE_FRONTEND_UPSTREAM_UNAVAILABLE")
        # what is not stored and forwarded fails at once, so the terminal knows nothing was done
        refused(lambda: tc.issuance.GetCard(ip.GetCardRequest(ehcid=ehcid)), UNAVAILABLE,
                "NODE_FRONTEND_UPSTREAM_UNAVAILABLE")  # fmt: skip
        assert tc.usage.Report(usage("u-down", creds.org_code, ehcid)).accepted  # stored and forwarded
        # the bound: the node's last word on the card (a verification or a poll) at most MAX_AGE_S old
        time.sleep(MAX_AGE_S + 0.2)
        refused(lambda: _verify(tc, static), UNAVAILABLE, "NODE_FRONTEND_UPSTREAM_UNAVAILABLE")
        assert fe.store.log_rows()[-1][2:4] == ("cache", "NODE_FRONTEND_UPSTREAM_UNAVAILABLE")


@pytest.mark.parametrize("owner", ["hospital", "other-org"])
def test_a_suspension_reaches_the_cache_within_the_poll_bound(setup, owner: str) -> None:  # noqa: ANN001
    """A card suspended at the node (not through the front-end) is refused from cache once the
    poll has seen it: GetCard for the hospital's own cards, a probe verification for others'."""
    node, fe, creds = setup
    with node.client() as nc, node.client("admin") as admin, NodeClient(fe.target, creds) as tc:
        ehcid, static = new_card(nc if owner == "hospital" else admin)
        assert _verify(tc, static)[1] == "upstream"
        admin.issuance.Suspend(ip.CardActionRequest(ehcid=ehcid, reason="lost"))
        took = _wait(lambda: fe.cache.stats()["cards_refused"] == 1, 5 * POLL_S + 2)
        assert took <= POLL_S + 1.0, took  # the stated bound: one poll interval plus one round
        node.stop()
        refused(lambda: _verify(tc, static), grpc.StatusCode.FAILED_PRECONDITION, "NODE_CARD_SUSPENDED")
        assert fe.store.log_rows()[-1][2:4] == ("cache", "NODE_CARD_SUSPENDED")


def test_a_refused_card_is_never_verified_from_cache(setup) -> None:  # noqa: ANN001
    node, fe, creds = setup
    with node.client() as nc, NodeClient(fe.target, creds) as tc:
        ehcid, static = new_card(nc)
        assert _verify(tc, static)[1] == "upstream"  # cached as accepted...
        nc.issuance.Cancel(ip.CardActionRequest(ehcid=ehcid, reason="test"))
        refused(lambda: _verify(tc, static), grpc.StatusCode.FAILED_PRECONDITION, "NODE_CARD_CANCELLED")
        node.stop()  # ...then refused live: the cache now answers the refusal, at once, not the old OK
        refused(lambda: _verify(tc, static), grpc.StatusCode.FAILED_PRECONDITION, "NODE_CARD_CANCELLED")


def test_usage_is_checked_before_the_ack_and_deduplicated_locally(setup) -> None:  # noqa: ANN001
    node, fe, creds = setup
    other = issue_terminal(fe.store, "HIS-0002", node.credentials)
    with node.client() as nc, NodeClient(fe.target, creds) as tc, NodeClient(fe.target, other) as oc:
        ehcid, _ = new_card(nc)
        org = creds.org_code
        # what the node would refuse is refused here, before the ack: nothing acknowledged is refused later
        refused(lambda: tc.usage.Report(usage("u-bad", org, ehcid, channel="9999")),
                grpc.StatusCode.INVALID_ARGUMENT, "NODE_FIELD_BAD_CODE")  # fmt: skip
        refused(lambda: tc.usage.Report(usage("u-org", "999999999", ehcid)),
                grpc.StatusCode.PERMISSION_DENIED, "NODE_FORBIDDEN_ORG")  # fmt: skip
        refused(lambda: tc.usage.Report(usage("u-who", org, ehcid, terminal_id="HIS-0002")),
                grpc.StatusCode.PERMISSION_DENIED, "NODE_CONTEXT_MISMATCH")  # fmt: skip
        first = tc.usage.Report(usage("u-1", org, ehcid, terminal_id="HIS-0001", sam_number="SAM0001"))
        assert first.accepted and not first.duplicate
        again = tc.usage.Report(usage("u-1", org, ehcid, terminal_id="HIS-0001", sam_number="SAM0001"))
        assert again.duplicate and not again.accepted and again.usage_id == first.usage_id
        # upstream every terminal reports as the front-end: one request-id space for all of them
        refused(lambda: oc.usage.Report(usage("u-1", org, ehcid)), grpc.StatusCode.ALREADY_EXISTS,
                "NODE_USAGE_CONFLICT")  # fmt: skip
        acks = list(
            oc.usage.ReportStream(iter([usage("u-2", org, ehcid), usage("u-3", org, ehcid, time="x")]))
        )
        assert acks[0].accepted and acks[1].error.code == "NODE_FIELD_BAD_FORMAT"
        _wait(lambda: sorted(node_usage(nc, ehcid)) == ["u-1", "u-2"], 10)
        records = {r.request_id: r for r in nc.usage.QueryUsage(up.QueryUsageRequest(ehcid=ehcid)).records}
        assert records["u-1"].terminal_id == node.credentials.terminal_id  # the signer, as the node requires
        assert records["u-1"].sam_number == "SAM0001"  # the device's PSAM number passes through
    assert [(r, t) for r, t, _, _ in fe.store.outbox()] == [("u-1", "HIS-0001"), ("u-2", "HIS-0002")]


def test_card_operations_pass_through_and_update_the_cache(setup) -> None:  # noqa: ANN001
    node, fe, creds = setup
    with node.client() as nc, NodeClient(fe.target, creds) as tc:
        ehcid, static = new_card(nc)
        assert _verify(tc, static)[1] == "upstream"
        card = tc.issuance.Suspend(ip.CardActionRequest(ehcid=ehcid, reason="lost", context=tc.context()))
        assert card.card.status == 2
        assert fe.cache.stats()["cards_refused"] == 1  # at once, without waiting for a poll
        assert tc.issuance.GetCard(ip.GetCardRequest(ehcid=ehcid)).card.status == 2


def test_a_report_the_node_refuses_after_the_ack_is_kept_and_does_not_block(setup) -> None:  # noqa: ANN001
    """The node's plausibility rules run at delivery; what the front-end can check it checks before
    the ack (time window). An EHCID the node never issued is only known there: that row is kept as
    REJECTED with the node's code, and the reports after it are still delivered, in order."""
    node, fe, creds = setup
    with node.client() as nc, NodeClient(fe.target, creds) as tc:
        ehcid, _ = new_card(nc)
        org = creds.org_code
        refused(lambda: tc.usage.Report(usage("u-old", org, ehcid, time="19990101000000")),
                grpc.StatusCode.INVALID_ARGUMENT, "NODE_USAGE_TIME_IMPLAUSIBLE")  # fmt: skip
        assert tc.usage.Report(usage("u-ghost", org, "A" * 64)).accepted  # acknowledged: durable here
        assert tc.usage.Report(usage("u-after", org, ehcid)).accepted
        _wait(lambda: node_usage(nc, ehcid) == ["u-after"], 10)
    _wait(lambda: fe.store.counts()["pending"] == 0, 5)
    assert fe.store.rejected() == [("u-ghost", "HIS-0001", "NODE_USAGE_CARD_UNKNOWN")]
    assert fe.store.counts() == {"pending": 0, "delivered": 1, "rejected": 1}


def test_streams_pass_through(setup) -> None:  # noqa: ANN001
    node, fe, creds = setup
    from fe_helpers import register_request

    with NodeClient(fe.target, creds) as tc:
        results = list(
            tc.issuance.RegisterBatch(iter([register_request(), register_request(request_id="r2")]))
        )
        assert [i.ok for r in results for i in r.items] == [True, True], results
        assert fe.store.log_rows()[-1][:4] == ("HIS-0001", "RegisterBatch", "upstream", "OK")
        # chunks: every record's context is the terminal's own (or empty), rewritten for the node
        chunk = ip.RegisterChunk(records=[register_request(), register_request()])
        chunk.records[0].context.CopyFrom(tc.context())
        results = list(tc.issuance.RegisterBatchChunks(iter([chunk])))
        assert [i.ok for r in results for i in r.items] == [True, True], results
        # a record naming another terminal ends the stream with the node's code
        bad = ip.RegisterRequest()
        bad.CopyFrom(register_request())
        bad.context.CopyFrom(tc.context(terminal_id="HIS-0002"))
        refused(lambda: list(tc.issuance.RegisterBatch(iter([bad]))), grpc.StatusCode.PERMISSION_DENIED,
                "NODE_CONTEXT_MISMATCH")  # fmt: skip


def test_a_rate_limited_verification_does_not_drop_the_cached_answer(tmp_path: Path) -> None:
    """The node refusing the hospital's credential for its call rate says nothing about the code."""
    from reference_node.config import NodeConfig

    node = start_node(tmp_path, config=NodeConfig(rate_limit_per_s=0.2, rate_limit_burst=3))
    fe = start_frontend(
        tmp_path / "fe", node.target, node.credentials, config=FrontendConfig(poll_interval_s=60)
    )
    try:
        creds = issue_terminal(fe.store, "HIS-0001", node.credentials)
        with node.client("admin") as admin, NodeClient(fe.target, creds) as tc:
            _, static = new_card(admin)  # the admin is not rate limited
            assert _verify(tc, static)[1] == "upstream"
            for _ in range(5):
                try:
                    _verify(tc, static)
                except grpc.RpcError as exc:
                    assert exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                    break
            else:
                raise AssertionError("the node never rate-limited the relay")
            node.stop()
            assert _verify(tc, static)[1] == "cache"
    finally:
        fe.stop()
        node.stop()


def test_no_ack_unless_the_report_is_durable(setup) -> None:  # noqa: ANN001
    node, fe, creds = setup
    assert fe.store.durability() == ("wal", 2)  # WAL + synchronous FULL: the commit fsyncs
    with node.client() as nc, NodeClient(fe.target, creds) as tc:
        ehcid, _ = new_card(nc)
        with sqlite3.connect(fe.store.path) as db:  # the outbox failing: the HIS must not get an ack
            db.execute("DROP TABLE outbox")
        refused(
            lambda: tc.usage.Report(usage("u-1", creds.org_code, ehcid)),
            UNAVAILABLE,
            "NODE_FRONTEND_STORE_FAILED",
        )
        acks = list(tc.usage.ReportStream(iter([usage("u-2", creds.org_code, ehcid)])))
        assert not acks[0].accepted and acks[0].error.code == "NODE_FRONTEND_STORE_FAILED"


def test_tls_on_both_sides(tmp_path: Path) -> None:
    """Terminals reach the front-end over TLS, the front-end reaches the node over TLS."""
    from conformance_tests.tlsmaterial import make_test_tls
    from reference_node.client import TlsConfig
    from reference_node.runtime import start

    pem = make_test_tls()
    node = start(tmp_path / "node", tls=(pem.server_key, pem.server_cert))
    tls = TlsConfig(ca=pem.ca, server_name="localhost")
    fe = start_frontend(tmp_path / "fe", node.target, node.credentials, tls=tls,
                        server_tls=(pem.server_key, pem.server_cert))  # fmt: skip
    try:
        creds = issue_terminal(fe.store, "HIS-0001", node.credentials)
        with (
            NodeClient(node.target, node.credentials, tls=tls) as nc,
            NodeClient(fe.target, creds, tls=tls) as tc,
        ):
            _, static = new_card(nc)
            assert _verify(tc, static)[1] == "upstream"
        with NodeClient(fe.target, creds) as plaintext:  # a terminal without TLS does not get in
            with pytest.raises(grpc.RpcError) as info:
                _verify(plaintext, static)
            assert info.value.code() == UNAVAILABLE
    finally:
        fe.stop()
        node.stop()


def test_one_terminal_cannot_use_up_the_hospitals_budget(tmp_path: Path) -> None:
    node = start_node(tmp_path)
    config = FrontendConfig(terminal_rate_per_s=0.5, terminal_burst=2)
    fe = start_frontend(tmp_path / "fe", node.target, node.credentials, config=config)
    try:
        kiosk = issue_terminal(fe.store, "KIOSK-01", node.credentials)
        window = issue_terminal(fe.store, "WINDOW-01", node.credentials)
        with node.client() as nc, NodeClient(fe.target, kiosk) as kc, NodeClient(fe.target, window) as wc:
            _, static = new_card(nc)
            _verify(kc, static)
            _verify(kc, static)
            refused(lambda: _verify(kc, static), grpc.StatusCode.RESOURCE_EXHAUSTED, "NODE_RATE_LIMITED")
            assert _verify(wc, static)[1] == "upstream"  # the other terminals are not affected
    finally:
        fe.stop()
        node.stop()


def test_a_consulting_room_payment_passes_through_under_the_hospital_identity(tmp_path: Path) -> None:
    """Issue #16: payment at the point of care behind the front-end — answered by the node (never from
    a cache or an outbox), once per request id, on the hospital's ledger; refused when the node is down."""
    from dataclasses import replace

    from reference_node.config import NodeConfig
    from reference_node.proto.ehc.node.v1 import main_index_pb2 as mp
    from reference_node.proto.ehc.node.v1 import settlement_pb2 as sp

    node = start_node(tmp_path, config=replace(NodeConfig(), test_settlement=True))
    fe = start_frontend(
        tmp_path / "fe", node.target, node.credentials, config=FrontendConfig(upstream_timeout_s=2.0)
    )
    creds = issue_terminal(fe.store, "HIS-0002", node.credentials)
    try:
        with node.client() as nc, NodeClient(fe.target, creds) as tc:
            ehcid, _ = new_card(nc)
            order = tc.settlement.CreateOrder(
                sp.CreateOrderRequest(
                    request_id="FE-ORDER-1", context=tc.context(), category="0200", amount_cents=4321,
                    holder=sp.Holder(medium=mp.MEDIUM_EHCID, identifier=ehcid),
                )
            )  # fmt: skip
            assert order.org_code == node.credentials.org_code and order.amount_cents == 4321
            pay = sp.PayRequest(
                request_id="FE-PAY-1",
                context=tc.context(),
                order_id=order.order_id,
                amount_cents=4321,
                method="wechat",
            )
            first, again = tc.settlement.Pay(pay), tc.settlement.Pay(pay)
            assert not first.duplicate and again.duplicate and again.payment_id == first.payment_id
            # the node's own ledger: one payment, to the cent, for the hospital
            ledger = nc.settlement.GetLedger(
                sp.LedgerRequest(date=first.settlement_date, context=nc.context())
            )
            mine = [(e.kind, e.amount_cents) for e in ledger.entries if e.order_id == order.order_id]
            assert mine == [("payment", 4321)]
            assert ("HIS-0002", "Pay", "upstream", "OK") in [row[:4] for row in fe.store.log_rows()]
            node.stop()  # a payment is never acknowledged by the front-end alone
            refused(
                lambda: tc.settlement.Pay(sp.PayRequest(request_id="FE-PAY-2", context=tc.context(),
                                                        order_id=order.order_id, amount_cents=1, method="cash")),
                UNAVAILABLE, "NODE_FRONTEND_UPSTREAM_UNAVAILABLE",
            )  # fmt: skip
    finally:
        fe.stop()
        node.stop()
