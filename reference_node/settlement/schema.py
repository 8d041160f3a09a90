"""Settlement's own tables, versioned apart from the node's migrations (like supervision's):
recorded in ``settlement_schema`` and applied on first use."""

from __future__ import annotations

import threading
import weakref

from reference_node.store.db import Database

STEPS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "orders, payments, refunds of the TEST-ONLY settlement",
        [
            """CREATE TABLE IF NOT EXISTS settlement_orders (
                order_id TEXT PRIMARY KEY,
                org_code TEXT NOT NULL,
                request_id TEXT NOT NULL,
                digest TEXT NOT NULL,
                terminal_id TEXT NOT NULL,
                main_index TEXT NOT NULL,
                ehcid TEXT NOT NULL,
                category TEXT NOT NULL,
                amount_cents INTEGER NOT NULL,
                bill_number TEXT NOT NULL,
                deferred INTEGER NOT NULL,
                status INTEGER NOT NULL,
                created_at TEXT NOT NULL,
                settlement_date TEXT NOT NULL,
                UNIQUE (org_code, request_id)
            )""",
            # one payment per order: the store itself refuses a second charge
            """CREATE TABLE IF NOT EXISTS settlement_payments (
                payment_id TEXT PRIMARY KEY,
                org_code TEXT NOT NULL,
                request_id TEXT NOT NULL,
                digest TEXT NOT NULL,
                terminal_id TEXT NOT NULL,
                order_id TEXT NOT NULL UNIQUE,
                amount_cents INTEGER NOT NULL,
                category TEXT NOT NULL,
                method TEXT NOT NULL,
                paid_at TEXT NOT NULL,
                settlement_date TEXT NOT NULL,
                UNIQUE (org_code, request_id)
            )""",
            """CREATE TABLE IF NOT EXISTS settlement_refunds (
                refund_id TEXT PRIMARY KEY,
                org_code TEXT NOT NULL,
                request_id TEXT NOT NULL,
                digest TEXT NOT NULL,
                terminal_id TEXT NOT NULL,
                payment_id TEXT NOT NULL,
                order_id TEXT NOT NULL,
                amount_cents INTEGER NOT NULL,
                category TEXT NOT NULL,
                reason TEXT NOT NULL,
                refunded_at TEXT NOT NULL,
                settlement_date TEXT NOT NULL,
                UNIQUE (org_code, request_id)
            )""",
            "CREATE INDEX IF NOT EXISTS settlement_orders_day ON settlement_orders (org_code, settlement_date)",
            "CREATE INDEX IF NOT EXISTS settlement_payments_day ON settlement_payments (org_code, settlement_date)",
            "CREATE INDEX IF NOT EXISTS settlement_refunds_day ON settlement_refunds (org_code, settlement_date)",
        ],
    ),
]

_done: weakref.WeakSet[Database] = weakref.WeakSet()
_lock = threading.Lock()


def ensure_schema(db: Database) -> None:
    """Apply pending settlement steps once per Database object (cheap after the first call)."""
    if db in _done:
        return
    with _lock:
        if db in _done:
            return
        from reference_node.config import fmt_time, now_cst

        with db.transaction() as cur:
            cur.run(
                "CREATE TABLE IF NOT EXISTS settlement_schema (version INTEGER PRIMARY KEY, "
                "description TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
        for version, description, steps in STEPS:
            with db.transaction() as cur:
                if db.dialect == "postgresql":
                    cur.run("SELECT pg_advisory_xact_lock(7348003)")
                if cur.one("SELECT 1 FROM settlement_schema WHERE version = ?", (version,)) is not None:
                    continue
                for step in steps:
                    cur.run(db.ddl(step))
                cur.run(
                    "INSERT INTO settlement_schema (version, description, applied_at) VALUES (?, ?, ?)",
                    (version, description, fmt_time(now_cst())),
                )
        _done.add(db)
