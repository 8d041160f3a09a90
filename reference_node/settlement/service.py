"""SettlementService: the TEST-ONLY simulated insurer / bank / wallet (docs/payment.md).

Every operation is signed like the node's others and sees only the caller's organisation (an
admin names one). Writes commit before the answer (acknowledged = durable, as usage reports) and
are idempotent by (organisation, request id): the same request again answers the first result
with ``duplicate``; the same id with other content is NODE_SETTLEMENT_CONFLICT. One payment per
order is enforced by the store itself (UNIQUE order_id), so a double submission charges once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from ehc.errors import EhcError
from ehc.gm import sm3
from ehc.spec import codes
from reference_node import validation as v
from reference_node.errors import FIELD_BAD_FORMAT, FIELD_MISSING, FIELD_TOO_LONG, MEDIUM_UNKNOWN
from reference_node.node import Caller, Node
from reference_node.proto.ehc.node.v1 import common_pb2 as c
from reference_node.proto.ehc.node.v1 import main_index_pb2 as mpb
from reference_node.proto.ehc.node.v1 import settlement_pb2 as pb
from reference_node.services import main_index
from reference_node.services.authz import require_org
from reference_node.services.common import check_context
from reference_node.settlement.errors import (
    ALREADY_PAID,
    AMOUNT_MISMATCH,
    CARD_REFUSED,
    CONFLICT,
    DEFER_REFUSED,
    DISABLED,
    NOT_SETTLED,
    ORDER_UNKNOWN,
    REFUND_EXCEEDS,
)
from reference_node.settlement.schema import ensure_schema
from reference_node.store.db import Cursor

#: how the simulated payer is reached (seeds 000/002/003: bank card, WeChat, Alipay, UnionPay, 医保, 预缴金)
PAY_METHODS = ("bank-card", "wechat", "alipay", "unionpay", "insurance", "cash", "deposit")
ENTRY_KINDS = ("payment", "refund", "deferred")
MAX_AMOUNT_CENTS = 100_000_000_00  # one hundred million yuan: a bound, not a tariff
MAX_ENTRIES = 20_000  # reconciliation list of one organisation-day
REFUSED_STATUSES: dict[int, str] = {  # CardStatus number -> how the refusal names it
    c.CARD_STATUS_SUSPENDED: "suspended",
    c.CARD_STATUS_CANCELLED: "cancelled",
    c.CARD_STATUS_SUPERSEDED: "superseded",
}


_PAY_LATER: dict[str, str] = {}


def pay_later_rule(node: Node) -> str:
    """Profile ``payment.pay_later`` of the node's profile (``NodeConfig.profile``): "" or
    "poverty-relief" (seed 003 先诊疗后付费, hunan-hengyang)."""
    name = node.config.profile
    if not name:
        return ""
    if name not in _PAY_LATER:
        from ehc.profiles import load_profile_data

        try:
            _PAY_LATER[name] = str(load_profile_data(name).param("payment.pay_later", "") or "")
        except EhcError:  # a profile from another directory: nothing deferred
            _PAY_LATER[name] = ""
    return _PAY_LATER[name]


def _enabled(node: Node) -> None:
    # TEST-ONLY: served only by a node started for testing (NodeConfig.test_settlement,
    # `ehc node serve --test-settlement`, the kit's reference node); a deployed node never fakes payments
    if not getattr(node.config, "test_settlement", False):
        raise EhcError(
            DISABLED, "this node serves no simulated settlement (ehc node serve --test-settlement)"
        )
    ensure_schema(node.db)


def _amount(value: int, field: str = "amount_cents") -> int:
    if value <= 0:
        raise EhcError(FIELD_BAD_FORMAT, f"{field} must be a positive number of cents", field=field)
    if value > MAX_AMOUNT_CENTS:
        raise EhcError(FIELD_TOO_LONG, f"{field} exceeds {MAX_AMOUNT_CENTS}", field=field)
    return value


def _digest(*parts: object) -> str:
    return sm3("\x1f".join(str(p) for p in parts).encode()).hex()


def _day(node: Node) -> str:
    return node.now().date().isoformat()


def _date(value: str) -> str:
    v.text(value, "date", max_len=10)
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise EhcError(FIELD_BAD_FORMAT, "date must be YYYY-MM-DD", field="date") from None


# ------------------------------------------------------------------ holder
@dataclass(frozen=True)
class _Holder:
    main_index: str
    ehcid: str  # the card presented (e-card) or the person's current card ("" = none)
    status: int  # its status
    poverty: bool


def _holder(node: Node, caller: Caller, ctx: c.TerminalContext, h: pb.Holder) -> _Holder:
    """Who pays: the card or code the HIS read, resolved through the main index."""
    if h.medium == mpb.MEDIUM_UNSPECIFIED:
        raise EhcError(FIELD_MISSING, "holder.medium is required", field="holder.medium")
    if h.medium in (mpb.MEDIUM_EHCID, mpb.MEDIUM_EHC_QR):
        if h.medium == mpb.MEDIUM_EHC_QR:
            cfg = node.config
            v.text(h.identifier, "holder.identifier", max_len=256)
            ehcid = node.hsm.parse_qr(
                h.identifier, node.now(), cfg.clock_skew_s, cfg.dynamic_max_lifetime_s
            ).ehcid
        else:
            ehcid = v.ehcid(h.identifier, "holder.identifier")
        with node.db.transaction() as cur:  # the store, not the cache: a suspension counts at once
            card = node.load_card(cur, ehcid)
            person, _ = node.resolve_merges(cur, node.load_person(cur, card.main_index))
        return _Holder(person.main_index, ehcid, card.status, person.poverty_relief)
    r = main_index.resolve(
        node,
        caller,
        mpb.ResolveRequest(
            medium=h.medium,
            identifier=h.identifier,
            document_type=h.document_type,
            issuer=h.issuer,
            context=ctx,
        ),
    )
    if not r.person.main_index:
        raise EhcError(MEDIUM_UNKNOWN, "the holder is a person of another node: pay there")
    return _person_holder(r.person.main_index, r.person.poverty_relief, list(r.cards))


def _person_holder(main_index_: str, poverty: bool, cards: list[Any]) -> _Holder:
    """A card read that is not an e-card: the person's normal card if any, else their last card."""
    normal = [k for k in cards if k.status == c.CARD_STATUS_NORMAL]
    if normal:
        return _Holder(main_index_, normal[-1].ehcid, c.CARD_STATUS_NORMAL, poverty)
    if cards:
        return _Holder(main_index_, cards[-1].ehcid, cards[-1].status, poverty)
    return _Holder(main_index_, "", c.CARD_STATUS_NORMAL, poverty)


def _refuse_card(status: int) -> None:
    if status in REFUSED_STATUSES:
        raise EhcError(CARD_REFUSED, f"payment refused: the holder's card is {REFUSED_STATUSES[status]}")


def _card_status_now(node: Node, cur: Cursor, main_index_: str, ehcid: str) -> int:
    if ehcid:
        return node.load_card(cur, ehcid).status
    return _person_holder(main_index_, False, node.person_cards(cur, main_index_)).status


# ------------------------------------------------------------------ orders
_ORDER_COLUMNS = (
    "order_id, org_code, request_id, digest, main_index, ehcid, category, amount_cents, bill_number, "
    "deferred, status, created_at"
)


def _order_pb(cur: Cursor, row: tuple, duplicate: bool = False) -> pb.Order:
    order_id, org, _rid, _dg, mi, ehcid, category, amount, bill, deferred, status, created = row
    paid = cur.one("SELECT payment_id, amount_cents FROM settlement_payments WHERE order_id = ?", (order_id,))
    refunded = cur.one("SELECT SUM(amount_cents) FROM settlement_refunds WHERE order_id = ?", (order_id,))
    return pb.Order(
        order_id=order_id, status=cast(pb.OrderStatus, int(status)), category=category, amount_cents=int(amount),
        paid_cents=int(paid[1]) if paid else 0, refunded_cents=int(refunded[0] or 0) if refunded else 0,
        main_index=mi, ehcid=ehcid, bill_number=bill, org_code=org, created_at=created,
        deferred=bool(deferred), duplicate=duplicate, payment_id=paid[0] if paid else "",
    )  # fmt: skip


def create_order(node: Node, caller: Caller, req: pb.CreateOrderRequest) -> pb.Order:
    _enabled(node)
    ctx = check_context(caller, req.context)
    v.token(req.request_id, "request_id", max_len=64)
    v.code(req.category, "category", codes.PAYMENT_CATEGORIES)
    _amount(req.amount_cents)
    v.token(req.bill_number, "bill_number", required=False, max_len=64)
    org = ctx.org_code
    h = req.holder
    digest = _digest(h.medium, h.identifier, h.document_type, h.issuer, req.category, req.amount_cents,
                     req.bill_number, req.defer)  # fmt: skip
    with node.db.transaction() as cur:
        row = cur.one(
            f"SELECT {_ORDER_COLUMNS} FROM settlement_orders WHERE org_code = ? AND request_id = ?",
            (org, req.request_id),
        )
    if row is not None:
        return _replayed_order(node, row, digest)
    holder = _holder(node, caller, ctx, h)
    _refuse_card(holder.status)
    if req.defer and not (pay_later_rule(node) == "poverty-relief" and holder.poverty):
        raise EhcError(
            DEFER_REFUSED,
            "treat first, pay later is for poverty-relief (建档立卡) persons under a profile that enables it",
        )
    order_id = "ORD" + node.new_id()
    status = pb.ORDER_DEFERRED if req.defer else pb.ORDER_OPEN
    with node.db.transaction() as cur:
        inserted = cur.run(
            "INSERT INTO settlement_orders (order_id, org_code, request_id, digest, terminal_id, main_index, ehcid, "
            "category, amount_cents, bill_number, deferred, status, created_at, settlement_date) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_code, request_id) DO NOTHING",
            (order_id, org, req.request_id, digest, caller.terminal_id, holder.main_index, holder.ehcid,
             req.category, req.amount_cents, req.bill_number, int(req.defer), status, node.now_text(),
             _day(node)),
        )  # fmt: skip
        row = cur.one(
            f"SELECT {_ORDER_COLUMNS} FROM settlement_orders WHERE org_code = ? AND request_id = ?",
            (org, req.request_id),
        )
        assert row is not None  # inserted above, or the conflicting row of the same request
        if not inserted:  # the same request committed meanwhile (another process)
            return _replayed_order(node, row, digest)
        out = _order_pb(cur, row)
    return out


def _replayed_order(node: Node, row: tuple, digest: str) -> pb.Order:
    if row[3] != digest:
        raise EhcError(CONFLICT, field="request_id")
    with node.db.transaction() as cur:
        return _order_pb(cur, row, duplicate=True)


def get_order(node: Node, caller: Caller, req: pb.GetOrderRequest) -> pb.Order:
    _enabled(node)
    ctx = check_context(caller, req.context)
    v.token(req.order_id, "order_id", max_len=64)
    with node.db.transaction() as cur:
        return _order_pb(cur, _order_row(cur, caller, ctx, req.order_id))


def _order_row(cur: Cursor, caller: Caller, ctx: c.TerminalContext, order_id: str) -> tuple:
    row = cur.one(f"SELECT {_ORDER_COLUMNS} FROM settlement_orders WHERE order_id = ?", (order_id,))
    # another organisation's order is answered as unknown: its existence is not theirs to learn
    if row is None or (row[1] != ctx.org_code and not caller.is_admin):
        raise EhcError(ORDER_UNKNOWN, field="order_id")
    return row


# ------------------------------------------------------------------ payments
_PAY_COLUMNS = "payment_id, order_id, amount_cents, category, method, paid_at, settlement_date, digest"


def _payment_pb(row: tuple, duplicate: bool = False) -> pb.Payment:
    pid, oid, amount, category, method, paid_at, day, _ = row
    return pb.Payment(payment_id=pid, order_id=oid, amount_cents=int(amount), category=category, method=method,
                      paid_at=paid_at, settlement_date=day, duplicate=duplicate)  # fmt: skip


def pay(node: Node, caller: Caller, req: pb.PayRequest) -> pb.Payment:
    _enabled(node)
    ctx = check_context(caller, req.context)
    v.token(req.request_id, "request_id", max_len=64)
    v.token(req.order_id, "order_id", max_len=64)
    _amount(req.amount_cents)
    if req.method not in PAY_METHODS:
        raise EhcError(FIELD_BAD_FORMAT, f"method must be one of {', '.join(PAY_METHODS)}", field="method")
    org = ctx.org_code
    digest = _digest(req.order_id, req.amount_cents, req.method)
    with node.db.transaction() as cur:
        # a write first: concurrent payments of one order queue here (SQLite's write lock, the
        # PostgreSQL row lock) instead of both reading "open" and racing to insert
        cur.run("UPDATE settlement_orders SET status = status WHERE order_id = ?", (req.order_id,))
        row = cur.one(
            f"SELECT {_PAY_COLUMNS} FROM settlement_payments WHERE org_code = ? AND request_id = ?",
            (org, req.request_id),
        )
        if row is not None:  # a double submission: the first payment, not a second charge
            if row[7] != digest:
                raise EhcError(CONFLICT, field="request_id")
            return _payment_pb(row, duplicate=True)
        order = _order_row(cur, caller, ctx, req.order_id)
        if int(order[10]) == pb.ORDER_PAID:
            raise EhcError(ALREADY_PAID, field="order_id")
        if req.amount_cents != int(order[7]):
            raise EhcError(AMOUNT_MISMATCH, f"the order is for {order[7]} cents", field="amount_cents")
        _refuse_card(_card_status_now(node, cur, order[4], order[5]))
        payment_id = "PAY" + node.new_id()
        cur.run(
            "INSERT INTO settlement_payments (payment_id, org_code, request_id, digest, terminal_id, order_id, "
            "amount_cents, category, method, paid_at, settlement_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (payment_id, org, req.request_id, digest, caller.terminal_id, req.order_id, req.amount_cents,
             order[6], req.method, node.now_text(), _day(node)),
        )  # fmt: skip
        row = cur.one(f"SELECT {_PAY_COLUMNS} FROM settlement_payments WHERE payment_id = ?", (payment_id,))
        if row is None:  # the store's UNIQUE refused it: the order was paid meanwhile
            raise EhcError(ALREADY_PAID, field="order_id")
        cur.run("UPDATE settlement_orders SET status = ? WHERE order_id = ?", (pb.ORDER_PAID, req.order_id))
        assert row is not None  # inserted above in this transaction
    # committed (WAL fsync'd / PostgreSQL commit) before the answer: acknowledged = durable
    return _payment_pb(row)


# ------------------------------------------------------------------ refunds
_REFUND_COLUMNS = (
    "refund_id, payment_id, order_id, amount_cents, category, refunded_at, settlement_date, digest"
)


def _refund_pb(row: tuple, duplicate: bool = False) -> pb.RefundRecord:
    rid, pid, oid, amount, category, at, day, _ = row
    return pb.RefundRecord(refund_id=rid, payment_id=pid, order_id=oid, amount_cents=int(amount), category=category,
                           refunded_at=at, settlement_date=day, duplicate=duplicate)  # fmt: skip


def refund(node: Node, caller: Caller, req: pb.RefundRequest) -> pb.RefundRecord:
    _enabled(node)
    ctx = check_context(caller, req.context)
    v.token(req.request_id, "request_id", max_len=64)
    v.token(req.payment_id, "payment_id", max_len=64)
    _amount(req.amount_cents)
    v.text(req.reason, "reason", required=False, max_len=100)
    org = ctx.org_code
    digest = _digest(req.payment_id, req.amount_cents, req.reason)
    with node.db.transaction() as cur:
        # a write first: concurrent refunds of one payment queue here, so their sum is checked
        # against what the others committed (never more than paid)
        cur.run(
            "UPDATE settlement_payments SET amount_cents = amount_cents WHERE payment_id = ?",
            (req.payment_id,),
        )
        row = cur.one(
            f"SELECT {_REFUND_COLUMNS} FROM settlement_refunds WHERE org_code = ? AND request_id = ?",
            (org, req.request_id),
        )
        if row is not None:
            if row[7] != digest:
                raise EhcError(CONFLICT, field="request_id")
            return _refund_pb(row, duplicate=True)
        paid = cur.one(
            "SELECT payment_id, org_code, order_id, amount_cents, category FROM settlement_payments "
            "WHERE payment_id = ?",
            (req.payment_id,),
        )
        if paid is None or (paid[1] != org and not caller.is_admin):
            raise EhcError(NOT_SETTLED, field="payment_id")
        done = cur.one(
            "SELECT SUM(amount_cents) FROM settlement_refunds WHERE payment_id = ?", (req.payment_id,)
        )
        already = int(done[0] or 0) if done else 0
        if already + req.amount_cents > int(paid[3]):
            raise EhcError(
                REFUND_EXCEEDS, f"paid {paid[3]} cents, already refunded {already}", field="amount_cents"
            )
        refund_id = "REF" + node.new_id()
        cur.run(
            "INSERT INTO settlement_refunds (refund_id, org_code, request_id, digest, terminal_id, payment_id, "
            "order_id, amount_cents, category, reason, refunded_at, settlement_date) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (refund_id, paid[1], req.request_id, digest, caller.terminal_id, req.payment_id, paid[2],
             req.amount_cents, paid[4], req.reason, node.now_text(), _day(node)),
        )  # fmt: skip
        row = cur.one(f"SELECT {_REFUND_COLUMNS} FROM settlement_refunds WHERE refund_id = ?", (refund_id,))
        assert row is not None  # inserted above in this transaction
    return _refund_pb(row)


# ------------------------------------------------------------------ ledger and reconciliation
def _ledger_org(caller: Caller, ctx: c.TerminalContext, org_code: str) -> str:
    if org_code:
        v.token(org_code, "org_code", max_len=32)
        require_org(caller, org_code)
        return org_code
    if caller.is_admin:
        raise EhcError(FIELD_MISSING, "an admin names the organisation (org_code)", field="org_code")
    return ctx.org_code


def ledger_entries(node: Node, org: str, day: str) -> list[pb.LedgerEntry]:
    """The node's ledger of one organisation-day (Beijing time): payments, refunds, deferrals."""
    ensure_schema(node.db)
    out: list[pb.LedgerEntry] = []
    with node.db.transaction() as cur:
        for pid, oid, amount, category, at, bill in cur.all(
            "SELECT p.payment_id, p.order_id, p.amount_cents, p.category, p.paid_at, o.bill_number "
            "FROM settlement_payments p JOIN settlement_orders o ON o.order_id = p.order_id "
            "WHERE p.org_code = ? AND p.settlement_date = ? ORDER BY p.paid_at, p.payment_id",
            (org, day),
        ):
            out.append(pb.LedgerEntry(kind="payment", reference=pid, order_id=oid, amount_cents=int(amount),
                                      category=category, bill_number=bill, time=at))  # fmt: skip
        for rid, pid, oid, amount, category, at in cur.all(
            "SELECT refund_id, payment_id, order_id, amount_cents, category, refunded_at FROM settlement_refunds "
            "WHERE org_code = ? AND settlement_date = ? ORDER BY refunded_at, refund_id",
            (org, day),
        ):
            out.append(pb.LedgerEntry(kind="refund", reference=rid, order_id=oid, amount_cents=int(amount),
                                      category=category, payment_id=pid, time=at))  # fmt: skip
        for oid, amount, category, at, bill in cur.all(
            "SELECT order_id, amount_cents, category, created_at, bill_number FROM settlement_orders "
            "WHERE org_code = ? AND settlement_date = ? AND deferred = 1 ORDER BY created_at, order_id",
            (org, day),
        ):
            out.append(pb.LedgerEntry(kind="deferred", reference=oid, order_id=oid, amount_cents=int(amount),
                                      category=category, bill_number=bill, time=at))  # fmt: skip
    return out


def _totals(entries: list[pb.LedgerEntry]) -> dict[str, int]:
    sums = dict.fromkeys(ENTRY_KINDS, 0)
    for e in entries:
        if e.kind in sums:
            sums[e.kind] += int(e.amount_cents)
    return sums


def get_ledger(node: Node, caller: Caller, req: pb.LedgerRequest) -> pb.Ledger:
    _enabled(node)
    ctx = check_context(caller, req.context)
    day = _date(req.date)
    org = _ledger_org(caller, ctx, req.org_code)
    entries = ledger_entries(node, org, day)
    t = _totals(entries)
    return pb.Ledger(date=day, org_code=org, entries=entries, payments_cents=t["payment"],
                     refunds_cents=t["refund"], deferred_cents=t["deferred"])  # fmt: skip


def compare(
    node_entries: list[pb.LedgerEntry], his_entries: list[pb.LedgerEntry]
) -> tuple[int, list[pb.Mismatch]]:
    """(matched, mismatches) of the node's ledger against the HIS's list, keyed by (kind, reference).

    Payments and deferrals: missing (node only), extra (HIS only, or listed twice), amount,
    category. Every difference in a refund line is kind ``refund`` (detail says which)."""
    node_by = {(e.kind, e.reference): e for e in node_entries}
    his_by: dict[tuple[str, str], pb.LedgerEntry] = {}
    out: list[pb.Mismatch] = []
    for e in his_entries:
        key = (e.kind, e.reference)
        if key in his_by:
            out.append(
                _mismatch("refund" if e.kind == "refund" else "extra", None, e, "listed twice by the HIS")
            )
            continue
        his_by[key] = e
    matched = 0
    for key in sorted(set(node_by) | set(his_by)):
        n, h = node_by.get(key), his_by.get(key)
        refund_line = key[0] == "refund"
        if h is None:
            out.append(
                _mismatch("refund" if refund_line else "missing", n, None, "on the node's ledger only")
            )
            continue
        if n is None:
            out.append(_mismatch("refund" if refund_line else "extra", None, h, "on the HIS's list only"))
            continue
        found = False
        if n.amount_cents != h.amount_cents:
            out.append(_mismatch("refund" if refund_line else "amount", n, h, "amounts differ"))
            found = True
        if n.category != h.category:
            out.append(_mismatch("refund" if refund_line else "category", n, h, "categories differ"))
            found = True
        if refund_line and h.payment_id and h.payment_id != n.payment_id:
            out.append(_mismatch("refund", n, h, "traced to another payment"))
            found = True
        matched += not found
    return matched, out


def _mismatch(kind: str, n: pb.LedgerEntry | None, h: pb.LedgerEntry | None, detail: str) -> pb.Mismatch:
    e = n or h
    assert e is not None
    return pb.Mismatch(
        kind=kind, entry_kind=e.kind, reference=e.reference,
        node_amount_cents=n.amount_cents if n else 0, his_amount_cents=h.amount_cents if h else 0,
        node_category=n.category if n else "", his_category=h.category if h else "", detail=detail,
    )  # fmt: skip


def reconcile(node: Node, caller: Caller, req: pb.ReconcileRequest) -> pb.ReconcileReport:
    _enabled(node)
    ctx = check_context(caller, req.context)
    day = _date(req.date)
    if len(req.entries) > MAX_ENTRIES:
        raise EhcError(FIELD_TOO_LONG, f"at most {MAX_ENTRIES} entries per day", field="entries")
    for i, e in enumerate(req.entries):
        if e.kind not in ENTRY_KINDS:
            raise EhcError(
                FIELD_BAD_FORMAT, f"kind must be one of {', '.join(ENTRY_KINDS)}", field=f"entries[{i}].kind"
            )
        v.token(e.reference, f"entries[{i}].reference", max_len=64)
        if e.amount_cents < 0 or e.amount_cents > MAX_AMOUNT_CENTS:
            raise EhcError(FIELD_BAD_FORMAT, "amount_cents out of range", field=f"entries[{i}].amount_cents")
        v.code(e.category, f"entries[{i}].category", codes.PAYMENT_CATEGORIES, required=False)
        v.token(e.payment_id, f"entries[{i}].payment_id", required=False, max_len=64)
    org = ctx.org_code if not caller.is_admin else (ctx.org_code or caller.org_code)
    ours = ledger_entries(node, org, day)
    theirs = list(req.entries)
    matched, mismatches = compare(ours, theirs)
    n, h = _totals(ours), _totals(theirs)
    return pb.ReconcileReport(
        date=day, org_code=org, node_payments_cents=n["payment"], node_refunds_cents=n["refund"],
        node_deferred_cents=n["deferred"], his_payments_cents=h["payment"], his_refunds_cents=h["refund"],
        his_deferred_cents=h["deferred"], matched=matched, mismatches=mismatches,
        reconciliation_id="REC" + node.new_id(),
    )  # fmt: skip


METHODS: dict[str, tuple[Any, type, str]] = {
    "CreateOrder": (create_order, pb.CreateOrderRequest, "unary"),
    "Pay": (pay, pb.PayRequest, "unary"),
    "Refund": (refund, pb.RefundRequest, "unary"),
    "GetOrder": (get_order, pb.GetOrderRequest, "unary"),
    "GetLedger": (get_ledger, pb.LedgerRequest, "unary"),
    "Reconcile": (reconcile, pb.ReconcileRequest, "unary"),
}
