"""The TEST-ONLY settlement service (reference_node/settlement): orders for a card holder, payments
idempotent by request id, refunds traced and bounded, suspended cards refused, treat-first-pay-later
under Hengyang, day-end reconciliation by kind, isolation per organisation. Real gRPC, real SQLite."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import replace

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from node_helpers import refused, register_request

from reference_node.client import Credentials, NodeClient
from reference_node.config import NodeConfig
from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip
from reference_node.proto.ehc.node.v1 import main_index_pb2 as mp
from reference_node.proto.ehc.node.v1 import registry_pb2 as rp
from reference_node.proto.ehc.node.v1 import settlement_pb2 as sp
from reference_node.testing import start_node

ORG_B = "TESTORGB2"
_IDS = itertools.count(1)
FAILED = grpc.StatusCode.FAILED_PRECONDITION


def _rid(tag: str) -> str:
    return f"{tag}-{next(_IDS)}"


def _today() -> str:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date().isoformat()


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    config = replace(NodeConfig(), profile="hunan-hengyang", test_settlement=True)  # + treat first, pay later
    node = start_node(tmp_path_factory.mktemp("settlement"), config=config)
    admin = node.client("admin")
    admin.registry.UpsertOrganisation(
        rp.Organisation(code=ORG_B, name="二院 TEST-ONLY", level="2", area_code="430405")
    )
    admin.registry.UpsertTerminal(rp.Terminal(terminal_id=ORG_B + "0300", org_code=ORG_B, terminal_type="03"))
    secret = admin.registry.IssueCredential(rp.IssueCredentialRequest(terminal_id=ORG_B + "0300")).secret_hex
    other = NodeClient(
        node.target, Credentials(ORG_B + "0300", bytes.fromhex(secret), ORG_B, use_city="430400")
    )
    client = node.client()
    yield node, client, admin, other
    for c in (client, admin, other):
        c.close()
    node.stop()


def _order(
    client: NodeClient, ehcid: str, cents: int = 12345, category: str = "0200", **kw: object
) -> sp.Order:
    return client.settlement.CreateOrder(
        sp.CreateOrderRequest(
            request_id=kw.pop("request_id", None) or _rid("O"), context=client.context(),
            holder=sp.Holder(medium=mp.MEDIUM_EHCID, identifier=ehcid), category=category,
            amount_cents=cents, **kw,
        )
    )  # fmt: skip


def _pay(
    client: NodeClient, order: sp.Order, request_id: str | None = None, method: str = "wechat"
) -> sp.Payment:
    return client.settlement.Pay(
        sp.PayRequest(request_id=request_id or _rid("P"), context=client.context(), order_id=order.order_id,
                      amount_cents=order.amount_cents, method=method)
    )  # fmt: skip


def _ledger(client: NodeClient) -> sp.Ledger:
    return client.settlement.GetLedger(sp.LedgerRequest(date=_today(), context=client.context()))


def test_a_paid_order_is_on_the_ledger_to_the_cent_and_a_double_submission_charges_once(env):
    node, client, _, _ = env
    r = client.issuance.Register(register_request())
    order = _order(client, r.card.ehcid, 12345, "0200")
    assert order.status == sp.ORDER_OPEN and order.main_index == r.person.main_index
    first = _pay(client, order, "PAY-TWICE-1")
    again = _pay(client, order, "PAY-TWICE-1")  # the answer was lost: the same request again
    assert not first.duplicate and again.duplicate and again.payment_id == first.payment_id
    refused(lambda: _pay(client, order), FAILED, "NODE_SETTLEMENT_ALREADY_PAID")  # a new id: still once
    mine = [e for e in _ledger(client).entries if e.order_id == order.order_id]
    assert [(e.kind, e.amount_cents, e.category) for e in mine] == [("payment", 12345, "0200")]
    got = client.settlement.GetOrder(sp.GetOrderRequest(order_id=order.order_id, context=client.context()))
    assert got.status == sp.ORDER_PAID and got.paid_cents == 12345 and got.payment_id == first.payment_id
    refused(
        lambda: client.settlement.Pay(sp.PayRequest(request_id="PAY-TWICE-1", context=client.context(),
                                                    order_id=order.order_id, amount_cents=1, method="wechat")),
        FAILED, "NODE_SETTLEMENT_CONFLICT",
    )  # fmt: skip


def test_refunds_are_traced_bounded_and_only_after_settlement(env):
    _, client, _, _ = env
    r = client.issuance.Register(register_request())
    order = _order(client, r.card.ehcid, 5000, "0100")

    def refund(payment_id: str, cents: int, rid: str | None = None) -> sp.RefundRecord:
        return client.settlement.Refund(sp.RefundRequest(request_id=rid or _rid("R"), context=client.context(),
                                                         payment_id=payment_id, amount_cents=cents, reason="退药"))  # fmt: skip

    refused(lambda: refund("PAYNOSUCHPAYMENT", 100), FAILED, "NODE_SETTLEMENT_NOT_SETTLED")
    payment = _pay(client, order)
    part = refund(payment.payment_id, 2000, "REF-ONCE")
    assert (
        part.payment_id == payment.payment_id and part.order_id == order.order_id and part.category == "0100"
    )
    assert refund(payment.payment_id, 2000, "REF-ONCE").duplicate
    refused(lambda: refund(payment.payment_id, 3001), FAILED, "NODE_SETTLEMENT_REFUND_EXCEEDS")
    refund(payment.payment_id, 3000)
    refused(lambda: refund(payment.payment_id, 1), FAILED, "NODE_SETTLEMENT_REFUND_EXCEEDS")
    got = client.settlement.GetOrder(sp.GetOrderRequest(order_id=order.order_id, context=client.context()))
    assert got.refunded_cents == 5000 and got.paid_cents == 5000
    refunds = [e for e in _ledger(client).entries if e.kind == "refund" and e.order_id == order.order_id]
    assert sorted(e.amount_cents for e in refunds) == [2000, 3000]
    assert all(e.payment_id == payment.payment_id for e in refunds)


def test_a_suspended_or_cancelled_card_cannot_pay(env):
    _, client, admin, _ = env
    r = client.issuance.Register(register_request())
    order = _order(client, r.card.ehcid)
    client.issuance.Suspend(ip.CardActionRequest(ehcid=r.card.ehcid, reason="lost", context=client.context()))
    refused(lambda: _pay(client, order), FAILED, "NODE_SETTLEMENT_CARD_REFUSED")
    refused(lambda: _order(client, r.card.ehcid), FAILED, "NODE_SETTLEMENT_CARD_REFUSED")
    assert not [e for e in _ledger(client).entries if e.order_id == order.order_id]
    client.issuance.Resume(ip.CardActionRequest(ehcid=r.card.ehcid, context=client.context()))
    assert _pay(client, order).amount_cents == order.amount_cents
    # a card read by number: the person's card decides
    number = register_request().document_number
    c = client.issuance.Register(register_request(number))
    client.issuance.Cancel(ip.CardActionRequest(ehcid=c.card.ehcid, reason="death", context=client.context()))
    refused(
        lambda: client.settlement.CreateOrder(sp.CreateOrderRequest(
            request_id=_rid("O"), context=client.context(), category="0100", amount_cents=100,
            holder=sp.Holder(medium=mp.MEDIUM_CITIZEN_ID, identifier=number))),
        FAILED, "NODE_SETTLEMENT_CARD_REFUSED",
    )  # fmt: skip


def test_treat_first_pay_later_only_for_a_flagged_person(env):
    _, client, _, _ = env
    poor = client.issuance.Register(register_request(poverty_relief=True))
    other = client.issuance.Register(register_request())
    refused(lambda: _order(client, other.card.ehcid, defer=True), FAILED, "NODE_SETTLEMENT_DEFER_REFUSED")
    owed = _order(client, poor.card.ehcid, 880, "0200", defer=True)
    assert owed.status == sp.ORDER_DEFERRED and owed.deferred and owed.paid_cents == 0
    ledger = _ledger(client)
    assert [(e.kind, e.amount_cents) for e in ledger.entries if e.order_id == owed.order_id] == [
        ("deferred", 880)
    ]
    paid = _pay(client, owed)  # paid later (after treatment)
    got = client.settlement.GetOrder(sp.GetOrderRequest(order_id=owed.order_id, context=client.context()))
    assert got.status == sp.ORDER_PAID and got.deferred and paid.amount_cents == 880


def test_reconciliation_reports_every_mismatch_by_kind(env):
    _, client, _, _ = env
    ehcid = client.issuance.Register(register_request()).card.ehcid
    a, b, c_, d = (_order(client, ehcid, cents, cat) for cents, cat in
                   ((1000, "0100"), (2000, "0200"), (3000, "0300"), (4000, "0000")))  # fmt: skip
    pa, pb_, pc, pd = (_pay(client, o) for o in (a, b, c_, d))
    ref = client.settlement.Refund(sp.RefundRequest(request_id=_rid("R"), context=client.context(),
                                                    payment_id=pa.payment_id, amount_cents=500))  # fmt: skip
    node_list = list(_ledger(client).entries)
    clean = client.settlement.Reconcile(
        sp.ReconcileRequest(date=_today(), context=client.context(), entries=node_list)
    )
    assert not clean.mismatches and clean.matched == len(node_list)
    his = [e for e in node_list if e.reference not in (pd.payment_id, ref.refund_id)]  # missing + refund
    for e in his:
        if e.reference == pb_.payment_id:
            e.amount_cents += 1  # amount, one cent
        if e.reference == pc.payment_id:
            e.category = "0100"  # category
    his.append(
        sp.LedgerEntry(kind="payment", reference="PAYNEVERATTHENODE", amount_cents=700, category="0100")
    )
    report = client.settlement.Reconcile(
        sp.ReconcileRequest(date=_today(), context=client.context(), entries=his)
    )
    found = {(m.kind, m.reference) for m in report.mismatches}
    assert found == {
        ("missing", pd.payment_id), ("refund", ref.refund_id), ("amount", pb_.payment_id),
        ("category", pc.payment_id), ("extra", "PAYNEVERATTHENODE"),
    }  # fmt: skip
    assert report.node_payments_cents - report.his_payments_cents == 4000 - 1 - 700


def test_organisations_see_only_their_own_orders_and_ledger(env):
    _, client, admin, other = env
    ehcid = client.issuance.Register(register_request()).card.ehcid
    order = _order(client, ehcid)
    refused(
        lambda: other.settlement.GetOrder(sp.GetOrderRequest(order_id=order.order_id, context=other.context())),
        FAILED, "NODE_SETTLEMENT_ORDER_UNKNOWN",
    )  # fmt: skip
    refused(lambda: _pay(other, order), FAILED, "NODE_SETTLEMENT_ORDER_UNKNOWN")
    payment = _pay(client, order)
    assert not [e for e in _ledger(other).entries if e.reference == payment.payment_id]
    refused(
        lambda: other.settlement.GetLedger(sp.LedgerRequest(date=_today(), org_code=client.credentials.org_code,
                                                            context=other.context())),
        grpc.StatusCode.PERMISSION_DENIED, "NODE_FORBIDDEN_ORG",
    )  # fmt: skip
    seen = admin.settlement.GetLedger(sp.LedgerRequest(date=_today(), org_code=client.credentials.org_code,
                                                       context=admin.context()))  # fmt: skip
    assert payment.payment_id in {e.reference for e in seen.entries}


def test_bad_input_is_refused_with_its_code(env):
    _, client, _, _ = env
    ehcid = client.issuance.Register(register_request()).card.ehcid
    bad = grpc.StatusCode.INVALID_ARGUMENT
    refused(lambda: _order(client, ehcid, 0), bad, "NODE_FIELD_BAD_FORMAT")
    refused(lambda: _order(client, ehcid, category="0400"), bad, "NODE_FIELD_BAD_CODE")
    order = _order(client, ehcid, 100)
    refused(lambda: client.settlement.Pay(sp.PayRequest(request_id=_rid("P"), context=client.context(),
                                                        order_id=order.order_id, amount_cents=99, method="cash")),
            FAILED, "NODE_SETTLEMENT_AMOUNT_MISMATCH")  # fmt: skip
    refused(lambda: _pay(client, order, method="bitcoin"), bad, "NODE_FIELD_BAD_FORMAT")
    refused(lambda: client.settlement.GetLedger(sp.LedgerRequest(date="2026-13-01", context=client.context())),
            bad, "NODE_FIELD_BAD_FORMAT")  # fmt: skip


def test_a_node_not_started_for_testing_serves_no_settlement(tmp_path):
    node = start_node(tmp_path, config=replace(NodeConfig(), profile="hunan-hengyang"))
    try:
        with node.client() as client:
            ehcid = client.issuance.Register(register_request()).card.ehcid
            refused(lambda: _order(client, ehcid), FAILED, "NODE_SETTLEMENT_DISABLED")
    finally:
        node.stop()


def test_pay_later_is_refused_where_the_profile_does_not_enable_it(tmp_path):
    node = start_node(tmp_path, config=replace(NodeConfig(), profile="zibo", test_settlement=True))
    try:
        with node.client() as client:
            poor = client.issuance.Register(register_request(poverty_relief=True))
            refused(
                lambda: _order(client, poor.card.ehcid, defer=True), FAILED, "NODE_SETTLEMENT_DEFER_REFUSED"
            )
            assert _order(client, poor.card.ehcid).status == sp.ORDER_OPEN
    finally:
        node.stop()


def test_an_acknowledged_payment_survives_a_kill(tmp_path):
    node = start_node(tmp_path, subprocess=True, extra_args=["--test-settlement"])
    try:
        client = node.client()
        order = _order(client, client.issuance.Register(register_request()).card.ehcid, 4321)
        payment = _pay(client, order)
        client.close()
        node.kill()
    finally:
        node.stop()
    again = start_node(tmp_path, subprocess=True, extra_args=["--test-settlement"])
    try:
        with again.client() as client:
            assert payment.payment_id in {e.reference for e in _ledger(client).entries}
    finally:
        again.stop()


def test_concurrent_submissions_charge_once_and_refund_within_the_payment(tmp_path, db_url):
    """Eight cashiers pay the same order at once (each its own request id), then eight refund 30 %
    each at once: one payment, the others NODE_SETTLEMENT_ALREADY_PAID; refunds stop at what was
    paid. On SQLite and PostgreSQL (the store's locks, not luck)."""
    from concurrent.futures import ThreadPoolExecutor

    from reference_node.client import error_of

    node = start_node(tmp_path, db_url, config=replace(NodeConfig(), test_settlement=True))
    try:
        clients = [node.client() for _ in range(8)]
        order = _order(clients[0], clients[0].issuance.Register(register_request()).card.ehcid, 10_000)

        def attempt(call):  # noqa: ANN001, ANN202
            try:
                return "ok", call()
            except grpc.RpcError as exc:
                return error_of(exc).code.name, None

        with ThreadPoolExecutor(8) as pool:
            paid = list(pool.map(lambda c: attempt(lambda: _pay(c, order)), clients))
        assert sorted(r for r, _ in paid) == ["NODE_SETTLEMENT_ALREADY_PAID"] * 7 + ["ok"], paid
        payment = next(p for r, p in paid if r == "ok")

        def refund(c: NodeClient):  # noqa: ANN202
            return attempt(lambda: c.settlement.Refund(sp.RefundRequest(
                request_id=_rid("R"), context=c.context(), payment_id=payment.payment_id, amount_cents=3000)))  # fmt: skip

        with ThreadPoolExecutor(8) as pool:
            refunds = list(pool.map(refund, clients))
        assert sorted(r for r, _ in refunds) == ["NODE_SETTLEMENT_REFUND_EXCEEDS"] * 5 + ["ok"] * 3, refunds
        got = clients[0].settlement.GetOrder(
            sp.GetOrderRequest(order_id=order.order_id, context=clients[0].context())
        )
        assert got.paid_cents == 10_000 and got.refunded_cents == 9_000
        assert [e.kind for e in _ledger(clients[0]).entries].count("payment") == 1
        for c in clients:
            c.close()
    finally:
        node.stop()


_KINDS = st.sampled_from(["payment", "refund", "deferred", "", "x"])
_CODES = st.sampled_from(["0100", "0200", "0300", "0000", "", "0400", "01000", "１００"])
_TOKENS = st.one_of(st.text(max_size=70), st.sampled_from(["", "ORD1", "PAY1", "A" * 64, "x" * 65]))
_CENTS = st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from([0, 1, -1, 10**10, 10**10 + 1]))


@pytest.fixture(scope="module")
def fuzz_env(tmp_path_factory: pytest.TempPathFactory):
    node = start_node(
        tmp_path_factory.mktemp("settle-fuzz"), config=replace(NodeConfig(), test_settlement=True)
    )
    client = node.client()
    ehcid = client.issuance.Register(register_request()).card.ehcid
    yield node, client, ehcid
    client.close()
    node.stop()


@settings(max_examples=120, suppress_health_check=list(HealthCheck), deadline=None)
@given(data=st.data())
def test_random_settlement_requests_are_coded_refusals_or_answers(fuzz_env, data):
    from reference_node.client import error_of

    _, client, ehcid = fuzz_env
    ctx = client.context()
    holder = sp.Holder(
        medium=data.draw(st.sampled_from([0, mp.MEDIUM_EHCID, mp.MEDIUM_EHC_QR, mp.MEDIUM_CITIZEN_ID, 99])),
        identifier=data.draw(st.one_of(st.just(ehcid), _TOKENS)),
    )
    entry = sp.LedgerEntry(kind=data.draw(_KINDS), reference=data.draw(_TOKENS), amount_cents=data.draw(_CENTS),
                           category=data.draw(_CODES), payment_id=data.draw(_TOKENS))  # fmt: skip
    method, request = data.draw(st.sampled_from([
        ("CreateOrder", sp.CreateOrderRequest(request_id=data.draw(_TOKENS), context=ctx, holder=holder,
                                              category=data.draw(_CODES), amount_cents=data.draw(_CENTS),
                                              bill_number=data.draw(_TOKENS), defer=data.draw(st.booleans()))),
        ("Pay", sp.PayRequest(request_id=data.draw(_TOKENS), context=ctx, order_id=data.draw(_TOKENS),
                              amount_cents=data.draw(_CENTS), method=data.draw(st.sampled_from(["cash", "", "x"])))),
        ("Refund", sp.RefundRequest(request_id=data.draw(_TOKENS), context=ctx, payment_id=data.draw(_TOKENS),
                                    amount_cents=data.draw(_CENTS), reason=data.draw(st.text(max_size=120)))),
        ("GetOrder", sp.GetOrderRequest(order_id=data.draw(_TOKENS), context=ctx)),
        ("GetLedger", sp.LedgerRequest(date=data.draw(st.one_of(st.text(max_size=12), st.just("2026-12-03"))),
                                       org_code=data.draw(_TOKENS), context=ctx)),
        ("Reconcile", sp.ReconcileRequest(date="2026-12-03", context=ctx, entries=[entry])),
    ]))  # fmt: skip
    try:
        getattr(client.settlement, method)(request, timeout=30)
    except grpc.RpcError as exc:
        assert exc.code() not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), (method, exc.details())
        assert error_of(exc).code.number > 0
