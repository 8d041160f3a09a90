"""The reference HIS's consulting-room payment (诊间支付 / 诊间结算), mixed into ``reference_his.His``.

Seeds 000/002/003/004: the card pays in the consulting room — insurance, bank card, WeChat, Alipay,
deposits — and Hengyang treats the poor first and bills them later (先诊疗后付费). The HIS pays
through the node's TEST-ONLY settlement service (``ehc.node.v1.SettlementService``, docs/payment.md):

* ``visit`` with ``bill`` {amount_cents, category, method}: the 收费 step creates an order for the
  card holder (the card or code it read), pays it — or defers it for a poverty-relief person when the
  node's profile allows — and reports the step's card use with the payment category (cardCostTypes)
  and the scene 已缴 (paid; the profile's payment scene) or 0101051 待缴 (deferred);
* ``pay`` {visit_id, amount_cents, category, method}: the same for the patient of an earlier visit
  (the consulting room bills after the consultation);
* ``refund`` {payment_id, amount_cents, reason}: a refund traced to the original payment;
* ``day_end`` {date}: the HIS's own books of the day sent to Reconcile; every mismatch answered.

Every write carries a request id kept across retries: a lost answer is retried with the same id,
so the node charges once. The HIS keeps its own books (what it believes it charged and refunded);
the kit judges from the node's ledger and compares the two.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

CST = dt.timezone(dt.timedelta(hours=8))
CATEGORIES = ("0100", "0200", "0300", "0000")  # reportHISData cardCostTypes: 自费 医保 公费 其他
DEFERRED_SCENE = "0101051"  # 门诊缴费(待缴), DIGEST §1.5: the use of a bill deferred, not paid


class PaymentRefused(Exception):
    """A settlement call the node refused (the kit's error code), or that never got an answer."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message)
        self.code = code


class PaymentDesk:
    """Payment operations and behaviour of the reference HIS (mutants override the behaviour)."""

    # ------------------------------------------------------------------ state
    def _desk(self) -> dict[str, Any]:
        desk = self.__dict__.get("_payment_desk")
        if desk is None:
            desk = self.__dict__["_payment_desk"] = {"visits": {}, "books": []}
        return desk

    @property
    def books(self) -> list[dict[str, Any]]:
        """The HIS's own books: what it believes it charged, refunded and deferred."""
        return self._desk()["books"]

    def remember_visit(self, who: dict) -> str:
        visit_id = "V" + uuid.uuid4().hex[:12].upper()
        self._desk()["visits"][visit_id] = who
        return visit_id

    def book(self, kind: str, reference: str, **fields: Any) -> None:
        today = dt.datetime.now(CST).date().isoformat()
        self.books.append({"kind": kind, "reference": reference, "date": today, **fields})

    # ------------------------------------------------------------------ protocol operations
    def pay(self, req: dict) -> dict:
        who = self._desk()["visits"].get(str(req.get("visit_id", "")))
        if who is None:
            return {
                "payment": {
                    "status": "refused",
                    "error": {"code": "VISIT_UNKNOWN", "message": "no such visit"},
                }
            }
        return {"payment": self.settle(who, self.bill_of(req))}

    def refund(self, req: dict) -> dict:
        payment_id = str(req.get("payment_id", ""))
        paid = next((b for b in self.books if b["kind"] == "payment" and b["reference"] == payment_id), None)
        if paid is None:
            return {
                "refunded": False,
                "error": {"code": "PAYMENT_UNKNOWN", "message": "not in the HIS's books"},
            }
        try:
            out = self.send_refund(paid, int(req["amount_cents"]), str(req.get("reason", ""))[:100])
        except PaymentRefused as exc:
            return {"refunded": False, "error": {"code": exc.code, "message": str(exc)[:300]}}
        return {"refunded": True, "refund": out}

    def day_end(self, req: dict) -> dict:
        day = str(req.get("date") or dt.datetime.now(CST).date().isoformat())
        entries = self.day_list(day)
        try:
            report = self.reconcile(day, entries)
        except PaymentRefused as exc:
            return {"reconciled": False, "error": {"code": exc.code, "message": str(exc)[:300]}}
        return {"reconciled": True, "date": day, "entries": len(entries), **self.mismatches_shown(report)}

    # ------------------------------------------------------------------ the 收费 step of a visit
    @staticmethod
    def bill_of(req: dict) -> dict:
        bill = dict(req.get("bill") or req)
        return {
            "amount_cents": int(bill["amount_cents"]),
            "category": str(bill.get("category", "0100")),
            "method": str(bill.get("method", "wechat")),
        }

    def pay_step(self, who: dict, req: dict) -> dict:
        result = self.settle(who, self.bill_of(req))
        return {
            "step": "payment",
            "scene": result.get("scene", ""),
            "reported": bool(result.get("reported")),
            "payment": result,
        }

    def settle(self, who: dict, bill: dict) -> dict:
        """Order, pay (or defer), report the use of the paid step. Never raises."""
        if getattr(self, "api", "grpc") != "grpc":
            return {
                "status": "refused",
                "error": {"code": "PAYMENT_UNSUPPORTED", "message": "gRPC mode only"},
            }
        try:
            order = self.open_order(who, bill)
            if order.status == self._pb().ORDER_DEFERRED:
                self.book("deferred", order.order_id, order_id=order.order_id, amount_cents=order.amount_cents,
                          category=order.category)  # fmt: skip
                scene = DEFERRED_SCENE
                out = {"status": "deferred", "order_id": order.order_id}
            else:
                payment = self.submit_payment(order, bill)
                self.book("payment", payment.payment_id, order_id=order.order_id,
                          amount_cents=payment.amount_cents, category=payment.category)  # fmt: skip
                scene = self.scene_of("payment")  # type: ignore[attr-defined]
                out = {"status": "paid", "order_id": order.order_id, "payment_id": payment.payment_id}
        except PaymentRefused as exc:
            return {
                "status": "refused",
                "error": {"code": exc.code, "message": str(exc)[:300]},
                "reported": False,
            }
        out.update(amount_cents=order.amount_cents, category=order.category, scene=scene)
        out["reported"] = self.report_paid_step(who, scene, order.category)
        return out

    def report_paid_step(self, who: dict, scene: str, category: str) -> bool:
        """The 收费 use carries the payment's category (cardCostTypes) and the paid / deferred scene."""
        record = self.make_record(who, "payment", "O")  # type: ignore[attr-defined]
        record.scene, record.medical_step = scene, scene[:6]
        record.payment_category = self.reported_category(category)
        ack = self.report(record)  # type: ignore[attr-defined]
        return bool(ack and (ack.accepted or ack.duplicate))

    def reported_category(self, category: str) -> str:
        return category

    # ------------------------------------------------------------------ node calls (mutants override)
    @staticmethod
    def _pb() -> Any:
        from reference_node.proto.ehc.node.v1 import settlement_pb2

        return settlement_pb2

    def call_settlement(self, method: str, request: Any, attempts: int = 3) -> Any:
        """One settlement call; a transient failure is retried with the SAME request (same id)."""
        import grpc

        from reference_node.client import error_of

        for attempt in range(attempts):
            try:
                return getattr(self.client.settlement, method)(request, timeout=30)  # type: ignore[attr-defined]
            except grpc.RpcError as exc:
                transient = exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
                if not transient or attempt == attempts - 1:
                    err = error_of(exc)
                    raise PaymentRefused(err.code.name, err.message) from None
                request = self.retry_payment_request(method, request)
                time.sleep(0.2 * (attempt + 1))
        raise PaymentRefused("PAYMENT_UNAVAILABLE", "no answer")

    def retry_payment_request(self, method: str, request: Any) -> Any:
        return request  # the same request id: the node answers the first result

    def holder(self, who: dict) -> Any:
        from reference_node.proto.ehc.node.v1 import main_index_pb2 as mp

        pb = self._pb()
        if who.get("ehcid"):
            return pb.Holder(medium=mp.MEDIUM_EHCID, identifier=who["ehcid"])
        medium = {
            "10": mp.MEDIUM_RESIDENT_HEALTH_CARD,
            "20": mp.MEDIUM_CITIZEN_ID,
            "30": mp.MEDIUM_SOCIAL_SECURITY_CARD,
            "80": mp.MEDIUM_HOSPITAL_CARD,
        }[who["card_type"]]
        issuer = self.client.credentials.org_code if who["card_type"] == "80" else ""  # type: ignore[attr-defined]
        return pb.Holder(medium=medium, identifier=who.get("card_number", ""), issuer=issuer)

    def open_order(self, who: dict, bill: dict) -> Any:
        """The order for the card holder; deferred for a poverty-relief person when the node's
        profile allows it (the node answers NODE_SETTLEMENT_DEFER_REFUSED otherwise: then billed)."""
        pb = self._pb()
        defer = self.defer_bill(who)
        while True:
            request = pb.CreateOrderRequest(
                request_id="ORD-" + uuid.uuid4().hex, context=self.client.context(),  # type: ignore[attr-defined]
                holder=self.holder(who), category=bill["category"], amount_cents=bill["amount_cents"],
                bill_number="B" + uuid.uuid4().hex[:10].upper(), defer=defer,
            )  # fmt: skip
            try:
                return self.call_settlement("CreateOrder", request)
            except PaymentRefused as exc:
                if not (defer and exc.code == "NODE_SETTLEMENT_DEFER_REFUSED"):
                    raise
                defer = False

    def defer_bill(self, who: dict) -> bool:
        """Treat first, pay later: the bill of a person the node flags poverty-relief is deferred."""
        return bool(self.pay_later(who))  # type: ignore[attr-defined]

    def submit_payment(self, order: Any, bill: dict) -> Any:
        pb = self._pb()
        request = pb.PayRequest(
            request_id="PAY-" + uuid.uuid4().hex, context=self.client.context(),  # type: ignore[attr-defined]
            order_id=order.order_id, amount_cents=order.amount_cents, method=bill["method"],
        )  # fmt: skip
        return self.call_settlement("Pay", request)

    def send_refund(self, paid: dict, amount_cents: int, reason: str) -> dict:
        pb = self._pb()
        request = pb.RefundRequest(
            request_id="REF-" + uuid.uuid4().hex, context=self.client.context(),  # type: ignore[attr-defined]
            payment_id=paid["reference"], amount_cents=amount_cents, reason=reason,
        )  # fmt: skip
        r = self.call_settlement("Refund", request)
        self.book("refund", r.refund_id, order_id=r.order_id, amount_cents=r.amount_cents, category=r.category,
                  payment_id=r.payment_id)  # fmt: skip
        return {"refund_id": r.refund_id, "payment_id": r.payment_id, "amount_cents": r.amount_cents}

    def day_list(self, day: str) -> list[Any]:
        """The HIS's own list of the day, from its books (never copied from the node)."""
        pb = self._pb()
        return [
            pb.LedgerEntry(
                kind=b["kind"],
                reference=b["reference"],
                order_id=b.get("order_id", ""),
                amount_cents=b["amount_cents"],
                category=b.get("category", ""),
                payment_id=b.get("payment_id", ""),
            )  # fmt: skip
            for b in self.books
            if b["date"] == day
        ]

    def reconcile(self, day: str, entries: list[Any]) -> Any:
        pb = self._pb()
        request = pb.ReconcileRequest(date=day, context=self.client.context(), entries=entries)  # type: ignore[attr-defined]
        return self.call_settlement("Reconcile", request)

    def mismatches_shown(self, report: Any) -> dict:
        """What the cashier's day-end screen shows: every mismatch the node found."""
        return {
            "matched": report.matched,
            "reconciliation_id": report.reconciliation_id,
            "mismatches": [
                {"kind": m.kind, "entry_kind": m.entry_kind, "reference": m.reference, "detail": m.detail}
                for m in report.mismatches
            ],
        }
