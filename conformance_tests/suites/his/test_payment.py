"""HIS: payment at the point of care (诊间支付 / 诊间结算) through the kit's TEST-ONLY settlement.

The evidence is the node's own ledger (SettlementService.GetLedger / GetOrder, read with the kit's
admin identity), its usage records, and the proxy transcript of what the HIS sent (CreateOrder,
Pay, Refund, Reconcile with their request ids). What the HIS answers — ``payment``, ``refund``,
``mismatches`` — is only compared with that evidence. The day-end test compares the node's ledger
with the list the HIS submitted using the kit's own comparison (below), not the node's.

Driver operations (docs/certification.md, HIS driver protocol): ``visit`` with ``bill``
{amount_cents, category, method} makes the 收费 step a consulting-room payment; ``pay`` bills the
patient of an earlier visit (``visit_id``); ``refund`` {payment_id, amount_cents, reason};
``day_end`` {date}.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conformance_tests.suites.node.helpers import card_action, new_digits, new_id_number, register
from reference_node.proto.ehc.node.v1 import issuance_pb2 as I
from reference_node.proto.ehc.node.v1 import main_index_pb2 as M
from reference_node.proto.ehc.node.v1 import settlement_pb2 as S
from reference_node.proto.ehc.node.v1 import usage_pb2 as U

CST = dt.timezone(dt.timedelta(hours=8))
CATEGORIES = ("0100", "0200", "0300", "0000")  # reportHISData cardCostTypes
PAY = "/ehc.node.v1.SettlementService/Pay"
REFUND = "/ehc.node.v1.SettlementService/Refund"
DEFERRED_SCENE = "0101051"  # 门诊缴费(待缴)
OUTPATIENT = ["registration", "consultation", "payment"]


@pytest.fixture(autouse=True)
def _grpc_only(dut: Any) -> None:
    if getattr(dut, "api", "grpc") != "grpc":
        pytest.skip(
            "not applicable through the Tencent envelope: it has no payment operation; the TEST-ONLY "
            "settlement is on ehc.node.v1 (docs/payment.md)"
        )


# ------------------------------------------------------------------ evidence
def _today() -> str:
    return dt.datetime.now(CST).date().isoformat()


def _cents() -> int:
    """A fresh amount per bill (10.00 .. 1009.99 yuan) that float yuan gets wrong: ``int(c / 100 *
    100) != c`` (¥19.99 -> 1998 cents). About one amount in twenty is so; a HIS that carries yuan as a
    float would pass a random amount 95 % of the time, so every bill the suite makes is one of them."""
    cents = 1000 + int(new_digits(5))
    while int(cents / 100 * 100) == cents:
        cents += 1
    return cents


def _bill(category: str = "0200", cents: int | None = None, method: str = "wechat") -> dict:
    return {"amount_cents": cents or _cents(), "category": category, "method": method}


def _ledger(dut: Any) -> list:
    """The node's ledger of the HIS's organisation for today (admin read)."""
    ledger, error = dut.node.call(
        "settlement",
        "GetLedger",
        S.LedgerRequest(date=_today(), org_code=dut.credentials.org_code, context=dut.node.context("admin")),
        "admin",
    )
    assert error is None, f"the kit could not read the node's ledger: {error}"
    return list(ledger.entries)


def _order(dut: Any, order_id: str) -> Any:
    order, error = dut.node.call(
        "settlement",
        "GetOrder",
        S.GetOrderRequest(order_id=order_id, context=dut.node.context("admin")),
        "admin",
    )
    assert error is None, f"the kit could not read order {order_id}: {error}"
    return order


def _of(dut: Any, main_index: str, kind: str | None = None) -> list:
    """Ledger lines whose order is the patient's (payments, refunds, deferrals)."""
    entries = _ledger(dut)
    owners = {oid: _order(dut, oid).main_index for oid in {e.order_id for e in entries}}
    return [e for e in entries if owners[e.order_id] == main_index and (kind is None or e.kind == kind)]


def _usage(dut: Any, ehcid: str) -> list:
    records, error = dut.node.call(
        "usage", "QueryUsage", U.QueryUsageRequest(ehcid=ehcid, limit=100), "admin"
    )
    assert error is None, error
    return list(records.records)


def _qr(r: Any) -> dict:
    return {"medium": "ehc-qr-static", "qr_text": r.qr_text}


def _visit(
    dut: Any, r: Any, bill: dict | None, steps: list[str] | None = None, patient: dict | None = None
) -> tuple[dict, list]:
    mark = dut.proxy.mark()
    fields = {"bill": bill} if bill else {}
    answer = dut.request("visit", patient=patient or _qr(r), steps=steps or OUTPATIENT, **fields)
    return answer, dut.proxy.since(mark)


def _payment_of(answer: dict) -> dict:
    step = next((s for s in answer.get("steps", []) if s.get("step") == "payment"), None)
    assert step is not None, f"the HIS answered no 收费 step: {answer}"
    return step.get("payment") or {}


def _card_read(r: Any, medium: str, number: str) -> dict:
    """A card read by its number at the desk (ID card, social security card: the holder's ID number)."""
    p = r.person
    return {"medium": medium, "identifier": number, "name": p.name, "sex": p.sex, "nation": p.nation,
            "birth_date": p.birth_date}  # fmt: skip


def _card_uses(dut: Any, calls: list, number: str, since: str) -> list:
    """The node's usage records of the reports the HIS sent for a card read by number (the node
    masks the number: the proxy transcript names the card, the node's record is the evidence)."""
    ids = {c.request.request_id for c in calls if c.name == "Report" and c.request is not None
           and c.request.card_number == number}  # fmt: skip
    records, error = dut.node.call(
        "usage",
        "QueryUsage",
        U.QueryUsageRequest(org_code=dut.credentials.org_code, from_time=since, limit=1000),
        "admin",
    )
    assert error is None, error
    return [u for u in records.records if u.request_id in ids]


def _flag(dut: Any, r: Any, flagged: bool) -> None:
    """The node flags (or unflags) the person poverty-relief, as the county's roster changes."""
    _, error = dut.node.call("issuance", "Modify", I.ModifyRequest(
        ehcid=r.card.ehcid, set_poverty_relief=True, poverty_relief=flagged,
        context=dut.node.context("admin")), "admin")  # fmt: skip
    assert error is None, f"the kit could not change the poverty-relief flag at the node: {error}"


def _names(calls: list) -> str:
    return ", ".join(f"{c.name}:{c.status}" for c in calls) or "no call"


def _paid_visit(dut: Any, category: str = "0200", cents: int | None = None) -> tuple[Any, dict, dict]:
    r = register(dut.node)
    bill = _bill(category, cents)
    answer, calls = _visit(dut, r, bill)
    assert answer.get("patient"), f"the visit did not happen: {answer}"
    claimed = _payment_of(answer)
    assert claimed.get("status") == "paid", f"the HIS did not pay the bill: {claimed} ({_names(calls)})"
    return r, bill, claimed


# ------------------------------------------------------------------ tests
@pytest.mark.requirement("HIS-PAY-001")
@pytest.mark.parametrize("category", CATEGORIES)
def test_a_paid_visit_is_on_the_ledger_to_the_cent(dut, category):
    r, bill, claimed = _paid_visit(dut, category)
    mine = _of(dut, r.person.main_index)
    paid = [e for e in mine if e.kind == "payment"]
    assert len(paid) == 1, (
        f"the node charged the patient {len(paid)} times for one bill: {[e.amount_cents for e in paid]}"
    )
    assert paid[0].amount_cents == bill["amount_cents"], (
        f"billed {bill['amount_cents']} cents, the node charged {paid[0].amount_cents}"
    )
    assert paid[0].category == category, f"category {category} chosen, the node charged {paid[0].category}"
    assert not [e for e in mine if e.kind != "payment"], f"unexpected ledger lines: {[e.kind for e in mine]}"
    assert claimed.get("payment_id") == paid[0].reference, "the HIS names a payment the node does not hold"
    assert (
        claimed.get("amount_cents") == paid[0].amount_cents and claimed.get("category") == paid[0].category
    ), f"the HIS's account {claimed} is not the node's ({paid[0].amount_cents}, {paid[0].category})"


@pytest.mark.requirement("HIS-PAY-001")
def test_a_later_payment_charges_the_patient_of_its_visit(dut):
    first, second = register(dut.node), register(dut.node)
    seen, _ = _visit(dut, first, None, ["registration", "consultation"])
    assert seen.get("visit_id"), f"the HIS answered no visit id: {seen}"
    nxt, _ = _visit(dut, second, None, ["registration", "consultation"])  # the next patient at the desk
    assert nxt.get("patient"), f"the second visit did not happen: {nxt}"
    bill = _bill("0300")
    mark = dut.proxy.mark()
    out = dut.request("pay", visit_id=seen["visit_id"], **bill)  # the first patient comes back to pay
    calls = dut.proxy.since(mark)
    claimed = out.get("payment") or {}
    assert claimed.get("status") == "paid", f"the HIS did not pay the bill: {claimed} ({_names(calls)})"
    paid = _of(dut, first.person.main_index, "payment")
    assert not _of(dut, second.person.main_index), (
        "the bill of the first patient's visit was charged to the patient read last at the desk"
    )
    assert len(paid) == 1 and paid[0].amount_cents == bill["amount_cents"], (
        f"the patient of the visit: {[e.amount_cents for e in paid]} charged for a bill of {bill['amount_cents']}"
    )
    assert claimed.get("payment_id") == paid[0].reference, "the HIS names a payment the node does not hold"


@pytest.mark.requirement("HIS-PAY-002")
@pytest.mark.parametrize(
    ("category", "medium"),
    [("0200", "ehc-qr-static"), ("0300", "ehc-qr-static"), ("0200", "ssc"), ("0300", "id-card")],
)
def test_the_paid_step_is_reported_with_its_payment_category(dut, profile, category, medium):
    # a code scanned and a card read by number take different lanes at a cashier's desk: both seen
    number = new_id_number()
    r = register(dut.node, id_number=number)
    since = (dt.datetime.now(CST) - dt.timedelta(minutes=2)).strftime("%Y%m%d%H%M%S")
    patient = _qr(r) if medium.startswith("ehc") else _card_read(r, medium, number)
    answer, calls = _visit(dut, r, _bill(category), patient=patient)
    claimed = _payment_of(answer)
    assert claimed.get("status") == "paid", (
        f"{medium}: the HIS did not pay the bill: {claimed} ({_names(calls)})"
    )
    paid = _of(dut, r.person.main_index, "payment")
    assert len(paid) == 1, f"{len(paid)} payments at the node"
    scene = str(profile.param("scenes.payment"))
    held = _usage(dut, r.card.ehcid) if medium.startswith("ehc") else _card_uses(dut, calls, number, since)
    uses = [u for u in held if u.scene == scene]
    assert len(uses) == 1, f"{len(uses)} uses of the paid step (scene {scene}) at the node"
    assert uses[0].payment_category == paid[0].category, (
        f"paid under {paid[0].category}, the use reported payment category {uses[0].payment_category or 'none'}"
    )


@pytest.mark.requirement("HIS-PAY-003")
def test_a_refund_after_settlement_is_traced_to_its_payment(dut):
    r = register(dut.node)
    bill = _bill("0100", 10_000)
    seen, calls = _visit(dut, r, bill)
    claimed = _payment_of(seen)
    assert claimed.get("status") == "paid", f"the HIS did not pay the bill: {claimed} ({_names(calls)})"
    # a second bill of the same patient (pharmacy after the consultation), paid later: the refunds
    # below are of the first payment and must be traced to it, not to the patient's latest
    later = dut.request("pay", visit_id=seen.get("visit_id", ""), **_bill("0200")).get("payment") or {}
    assert later.get("status") == "paid", f"the HIS did not pay the patient's second bill: {later}"
    first = dut.request(
        "refund", payment_id=claimed["payment_id"], amount_cents=2500, reason="退药 TEST-ONLY"
    )
    assert first.get("refunded"), f"the HIS did not refund: {first}"
    over = dut.request("refund", payment_id=claimed["payment_id"], amount_cents=7501, reason="over-refund")
    assert not over.get("refunded"), f"the HIS claims a refund beyond what was paid: {over}"
    rest = dut.request("refund", payment_id=claimed["payment_id"], amount_cents=7500, reason="退费 TEST-ONLY")
    assert rest.get("refunded"), f"the HIS did not refund the rest: {rest}"
    refunds = _of(dut, r.person.main_index, "refund")
    held = {e.reference: e for e in refunds}
    for answer, cents in ((first, 2500), (rest, 7500)):
        ref = (answer.get("refund") or {}).get("refund_id", "")
        assert ref in held, (
            f"the HIS says it refunded {cents} cents ({ref or 'no id'}); the node holds no such refund"
        )
        assert held[ref].amount_cents == cents and held[ref].payment_id == claimed["payment_id"], (
            f"refund {ref}: {held[ref].amount_cents} cents of {held[ref].payment_id}, expected {cents} of the payment"
        )
    assert sum(e.amount_cents for e in refunds) == bill["amount_cents"], "refunds at the node do not add up"
    assert not [e for e in refunds if e.payment_id != claimed["payment_id"]], (
        "the node holds a refund of the patient's other payment: the refund was not traced to the one picked"
    )


@pytest.mark.requirement("HIS-PAY-004")
@pytest.mark.parametrize("fault", ["reply-dropped", "refused"])
def test_a_double_submission_charges_once(dut, fault):
    r = register(dut.node)
    bill = _bill("0200")
    if fault == "reply-dropped":
        dut.proxy.drop_reply_next(PAY, times=1)  # the node charged, the HIS never heard
    else:
        dut.proxy.fail_next(PAY, times=1)  # refused before it reached the node
    answer, calls = _visit(dut, r, bill)
    pays = [c for c in calls if c.name == "Pay"]
    assert pays and pays[0].outcome == fault, f"the injected fault did not happen: {_names(calls)}"
    paid = _of(dut, r.person.main_index, "payment")
    assert len(paid) == 1, (
        f"one bill of {bill['amount_cents']} cents, the node charged {len(paid)} times: "
        f"{[e.amount_cents for e in paid]} ({_names(calls)})"
    )
    assert paid[0].amount_cents == bill["amount_cents"]
    assert len({c.request.request_id for c in pays if c.request is not None}) == 1, (
        f"the payment was retried under a new request id ({_names(pays)})"
    )
    claimed = _payment_of(answer)
    assert claimed.get("status") == "paid" and claimed.get("payment_id") == paid[0].reference, (
        f"the HIS's account {claimed} is not the node's payment"
    )


@pytest.mark.requirement("HIS-PAY-004")
def test_a_refund_whose_answer_was_lost_refunds_once(dut):
    r, _, claimed = _paid_visit(dut, "0100")
    dut.proxy.drop_reply_next(REFUND, times=1)  # the node refunded, the HIS never heard
    mark = dut.proxy.mark()
    out = dut.request("refund", payment_id=claimed["payment_id"], amount_cents=100, reason="退费 TEST-ONLY")
    sent = [c for c in dut.proxy.since(mark) if c.name == "Refund"]
    assert sent and sent[0].outcome == "reply-dropped", f"the injected fault did not happen: {_names(sent)}"
    refunds = _of(dut, r.person.main_index, "refund")
    assert len(refunds) == 1 and refunds[0].amount_cents == 100, (
        f"one refund of 100 cents asked, the node refunded {[e.amount_cents for e in refunds]} ({_names(sent)})"
    )
    assert len({c.request.request_id for c in sent if c.request is not None}) == 1, (
        f"the refund was retried under a new request id ({_names(sent)})"
    )
    assert out.get("refunded") and (out.get("refund") or {}).get("refund_id") == refunds[0].reference, (
        f"the HIS's account {out} is not the node's refund"
    )


@pytest.mark.requirement("HIS-PAY-005")
@pytest.mark.parametrize("action", ["Suspend", "Cancel"])
def test_a_payment_with_a_refused_card_is_refused(dut, profile, action):
    r = register(dut.node)
    answer, _ = _visit(dut, r, None, ["registration", "consultation"])
    assert answer.get("visit_id"), f"the HIS answered no visit id: {answer}"
    _, error = card_action(dut.node, action, r.card.ehcid)  # the card is stopped during the consultation
    assert error is None, error
    mark = dut.proxy.mark()
    out = dut.request("pay", visit_id=answer["visit_id"], **_bill("0100"))
    calls = dut.proxy.since(mark)
    claimed = out.get("payment") or {}
    assert claimed.get("status") != "paid" and not claimed.get("payment_id"), (
        f"{action.lower()}ed card: the HIS claims a payment: {claimed} ({_names(calls)})"
    )
    assert claimed.get("status") == "refused", f"the HIS does not report the refusal: {out}"
    assert not _of(dut, r.person.main_index, "payment"), f"the node charged a {action.lower()}ed card"
    scenes = {str(profile.param("scenes.payment")), DEFERRED_SCENE}
    reported = [u.scene for u in _usage(dut, r.card.ehcid) if u.scene in scenes]
    assert not reported, f"a 收费 use was reported for a {action.lower()}ed card: {reported}"


def _kit_compare(node: list, his: list) -> set[tuple[str, str]]:
    """The kit's own day-end comparison (kind, reference): docs/payment.md, "Reconciliation"."""
    n = {(e.kind, e.reference): e for e in node}
    out: set[tuple[str, str]] = set()
    seen: set[tuple[str, str]] = set()
    for e in his:
        key = (e.kind, e.reference)
        if key in seen:
            out.add(("refund" if e.kind == "refund" else "extra", e.reference))
        seen.add(key)
    h = {(e.kind, e.reference): e for e in his}
    for key in set(n) | set(h):
        kind, ref = key
        a, b = n.get(key), h.get(key)
        if a is None or b is None:
            out.add(("refund" if kind == "refund" else ("missing" if b is None else "extra"), ref))
            continue
        if a.amount_cents != b.amount_cents:
            out.add(("refund" if kind == "refund" else "amount", ref))
        if a.category != b.category:
            out.add(("refund" if kind == "refund" else "category", ref))
    return out


@pytest.mark.requirement("HIS-PAY-006")
def test_day_end_reconciliation_reports_every_mismatch(dut, profile):
    _, _, one = _paid_visit(dut, "0100")
    _, _, two = _paid_visit(dut, "0200")
    owed: list = []
    if profile.param("payment.pay_later"):  # the day's deferrals belong to the HIS's books too
        poor = register(dut.node, poverty_relief=True)
        _visit(dut, poor, _bill("0200"))
        owed = _of(dut, poor.person.main_index, "deferred")
        assert len(owed) == 1, f"the bill of a poverty-relief patient was not deferred: {len(owed)} deferrals"
    refunded = dut.request("refund", payment_id=one["payment_id"], amount_cents=100, reason="退费 TEST-ONLY")
    assert refunded.get("refunded"), refunded
    # a second refund of the same payment: a line of its own in the books, not added to the first
    again = dut.request("refund", payment_id=one["payment_id"], amount_cents=50, reason="退药 TEST-ONLY")
    assert again.get("refunded"), again
    # another cashier of the same hospital takes a payment and makes a refund the HIS never booked:
    # its own books lack them, so an honest day-end list shows them as mismatches
    other = register(dut.node)
    ctx = dut.node.context()
    order, error = dut.node.call("settlement", "CreateOrder", S.CreateOrderRequest(
        request_id="KIT-O-" + new_digits(10), context=ctx, category="0100", amount_cents=4321,
        holder=S.Holder(medium=M.MEDIUM_EHCID, identifier=other.card.ehcid)))  # fmt: skip
    assert error is None, error
    stray, error = dut.node.call("settlement", "Pay", S.PayRequest(
        request_id="KIT-P-" + new_digits(10), context=ctx, order_id=order.order_id, amount_cents=4321,
        method="cash"))  # fmt: skip
    assert error is None, error
    kit_refund, error = dut.node.call("settlement", "Refund", S.RefundRequest(
        request_id="KIT-R-" + new_digits(10), context=ctx, payment_id=two["payment_id"], amount_cents=50,
        reason="window refund"))  # fmt: skip
    assert error is None, error
    mark = dut.proxy.mark()
    answer = dut.request("day_end", date=_today())
    sent = [c for c in dut.proxy.since(mark) if c.name == "Reconcile" and c.status == "OK"]
    assert sent, f"the HIS reconciled nothing with the node: {answer}"
    his_list = list(sent[-1].request.entries)
    listed = {(e.kind, e.reference): e for e in his_list}
    for kind, ref, claim in (
        ("payment", one["payment_id"], one),
        ("payment", two["payment_id"], two),
        ("refund", (refunded.get("refund") or {}).get("refund_id", ""), refunded.get("refund") or {}),
        ("refund", (again.get("refund") or {}).get("refund_id", ""), again.get("refund") or {}),
    ):
        assert (kind, ref) in listed, f"the HIS's day-end list lacks its own {kind} {ref or '(no id)'}"
        assert listed[(kind, ref)].amount_cents == claim.get("amount_cents"), f"{kind} {ref}: amount differs"
    for e in owed:
        assert ("deferred", e.reference) in listed, (
            f"the HIS's day-end list lacks the day's deferral {e.reference} (先诊疗后付费): its books leave out deferred bills"
        )
    expected = _kit_compare(_ledger(dut), his_list)
    for injected in (("missing", stray.payment_id), ("refund", kit_refund.refund_id)):
        assert injected in expected, (
            f"the HIS's day-end list holds {injected[1]}, which it never booked: it reconciled the node's "
            "ledger instead of its own books"
        )
    shown = {(m.get("kind"), m.get("reference")) for m in answer.get("mismatches", [])}
    hidden = sorted(expected - shown)
    assert not hidden, f"the HIS's day-end report hides {len(hidden)} mismatch(es): {hidden}"


@pytest.mark.requirement("HIS-PAY-007")
def test_treat_first_pay_later_defers_a_flagged_persons_bill(dut, profile):
    poor = register(dut.node, poverty_relief=True)
    bill = _bill("0200")
    answer, calls = _visit(dut, poor, bill)
    claimed = _payment_of(answer)
    mine = _of(dut, poor.person.main_index)
    assert not [e for e in mine if e.kind == "payment"], (
        f"a poverty-relief patient was charged ({_names(calls)})"
    )
    owed = [e for e in mine if e.kind == "deferred"]
    assert len(owed) == 1 and owed[0].amount_cents == bill["amount_cents"], (
        f"the settlement shows no deferral of the bill: {[(e.kind, e.amount_cents) for e in mine]}"
    )
    assert claimed.get("status") == "deferred", f"the HIS's account: {claimed}"
    uses = [u for u in _usage(dut, poor.card.ehcid) if u.scene == DEFERRED_SCENE]
    assert len(uses) == 1 and uses[0].payment_category == "0200", (
        f"the deferred 收费 use is not reported as pending ({DEFERRED_SCENE}) with its category: "
        f"{[(u.scene, u.payment_category) for u in _usage(dut, poor.card.ehcid)]}"
    )
    other, _, _ = _paid_visit(dut, "0200")  # a person without the flag pays
    assert not _of(dut, other.person.main_index, "deferred"), "a person without the flag was deferred"
    # the county's roster changes: the node's current flag decides the next bill, not the HIS's memory
    _flag(dut, other, True)
    _flag(dut, poor, False)
    for who, kind in ((other, "deferred"), (poor, "payment")):
        before = len(_of(dut, who.person.main_index, kind))
        _, calls = _visit(dut, who, _bill("0200"))
        assert len(_of(dut, who.person.main_index, kind)) == before + 1, (
            f"the node's flag changed since the last visit; the next bill is not a {kind} ({_names(calls)})"
        )


@pytest.mark.requirement("HIS-PAY-008")
def test_a_flagged_persons_bill_is_settled_or_deferred_at_the_node(dut, profile):
    poor = register(dut.node, poverty_relief=True)
    bill = _bill("0100")
    answer, calls = _visit(dut, poor, bill)
    claimed = _payment_of(answer)
    mine = _of(dut, poor.person.main_index)
    pay_later = bool(profile.param("payment.pay_later"))
    kind = "deferred" if pay_later else "payment"  # the node defers only where the profile allows it
    held = [(e.kind, e.amount_cents) for e in mine]
    assert held == [(kind, bill["amount_cents"])], (
        f"a poverty-relief patient's bill of {bill['amount_cents']} cents (profile pay-later: "
        f"{pay_later}): the node holds {held or 'nothing'}, expected one {kind} line ({_names(calls)})"
    )
    assert claimed.get("status") == ("deferred" if pay_later else "paid"), f"the HIS's account: {claimed}"
    paid_scene = str(profile.param("scenes.payment"))
    scenes = [u.scene for u in _usage(dut, poor.card.ehcid) if u.scene in (DEFERRED_SCENE, paid_scene)]
    want = DEFERRED_SCENE if pay_later else paid_scene
    assert scenes == [want], f"the 收费 use of what the node holds ({kind}) is {want}; reported {scenes}"
