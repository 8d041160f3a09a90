"""Bulk writing of usage history straight into the store: the fast path for demo data and for the
million-event KPI benchmark (acknowledged reports from terminals go through UsageService instead).

Rows carry the same columns UsageService writes; the content digest is of the row's fields, the
usage id is random, and the reporting terminal is ``<org>5500`` (the registration window).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reference_node.store.db import Database

USAGE_COLUMNS = (
    "terminal_id", "request_id", "usage_id", "content_digest", "time", "received_at", "org_code", "org_name",
    "use_city", "scene", "medical_step", "department", "card_type", "channel", "payment_category", "visit_type",
    "ehcid", "card_number_enc", "card_number_blind", "atr", "sam_number", "reported_terminal",
)  # fmt: skip
_INSERT = (
    f"INSERT INTO usage ({', '.join(USAGE_COLUMNS)}) VALUES ({', '.join('?' for _ in USAGE_COLUMNS)}) "
    "ON CONFLICT (terminal_id, request_id) DO NOTHING"
)
_STEP_OF = {"0101012": "010101", "0101019": "010101", "010101": "010101", "0101011": "010101",
            "0101052": "010105", "0101039": "010103", "0101029": "010102", "0190021": "019002"}  # fmt: skip
_DEPT_OF = {"010101": "5500", "010105": "5600", "010103": "5800", "010102": "0300", "019002": "5900"}


def usage_row(
    seq: int, time: str, org_code: str, scene: str, card_type: str, *, ehcid: str = "", card_blind: str = "",
    visit_type: str = "O", use_city: str = "370800", org_name: str = "", channel: str = "0100", prefix: str = "bulk",
) -> tuple[Any, ...]:  # fmt: skip
    """One usage row; ``seq`` makes the request id unique per reporting terminal."""
    step = _STEP_OF.get(scene, scene[:6])
    terminal = f"{org_code}{_DEPT_OF.get(step, '9900')}"
    rid = f"{prefix}-{seq:012d}"
    return (
        terminal, rid, f"{prefix}{seq:024x}", f"{prefix}:{seq}", time, time, org_code, org_name, use_city, scene, step,
        _DEPT_OF.get(step, "9900"), card_type, channel, "0200", visit_type, ehcid, None, card_blind, "", "", terminal,
    )  # fmt: skip


def bulk_insert_usage(db: Database, rows: Iterable[tuple[Any, ...]], chunk: int = 50_000) -> int:
    """Insert rows in large transactions (PostgreSQL: COPY into a staging table). Returns rows written."""
    total = 0
    if db.dialect == "postgresql":
        with db.transaction() as cur:
            cur.run(
                "CREATE TEMP TABLE IF NOT EXISTS usage_stage (LIKE usage INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            )
            with cur.cur.copy(f"COPY usage_stage ({', '.join(USAGE_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    total += 1
            cur.run(
                f"INSERT INTO usage ({', '.join(USAGE_COLUMNS)}) SELECT {', '.join(USAGE_COLUMNS)} FROM usage_stage "
                "ON CONFLICT (terminal_id, request_id) DO NOTHING"
            )
        return total
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            total += _flush(db, batch)
    return total + _flush(db, batch)


def _flush(db: Database, batch: list[tuple[Any, ...]]) -> int:
    if not batch:
        return 0
    # relaxed commit (SQLite synchronous=NORMAL): a bulk load interrupted by a power loss is simply
    # run again (idempotent by request id); acknowledged terminal reports never take this path
    with db.transaction(relaxed=True) as cur:
        cur.many(_INSERT, batch)
    n = len(batch)
    batch.clear()
    return n


def upsert_organisations(db: Database, orgs: Iterable[tuple[str, str, str, str]]) -> int:
    """(code, name, level, area_code) rows into the node's registry."""
    rows = list(orgs)
    with db.transaction() as cur:
        cur.many(
            "INSERT INTO organisations (code, name, level, area_code) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, area_code = excluded.area_code",
            rows,
        )
    return len(rows)
