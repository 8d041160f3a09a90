"""Supervision's own tables and indexes, versioned separately from the node's migrations.

The node's migration list (reference_node/store/migrations.py) belongs to the node; supervision
keeps its steps here, recorded in ``supervision_schema``, so the two evolve without colliding on
version numbers. Applied on first use by every entry point (server, gateway, CLI, demo seeding).
"""

from __future__ import annotations

import threading
import weakref

from reference_node.store.db import Database

STEPS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "population by area, scanner bench runs, read-only supervision readers, KPI indexes",
        [
            """CREATE TABLE IF NOT EXISTS supervision_population (
                area_code TEXT PRIMARY KEY,
                population INTEGER NOT NULL,
                source TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS supervision_bench_runs (
                run_id TEXT PRIMARY KEY,
                created_at TEXT NOT NULL,
                submitted_by TEXT NOT NULL,
                codes_total INTEGER NOT NULL,
                codes_correct INTEGER NOT NULL,
                report TEXT NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS supervision_readers (
                terminal_id TEXT PRIMARY KEY,
                created_at TEXT NOT NULL
            )""",
            # visits are registration-scene events in a time range: (time, scene) narrows the scan
            # to the period and lets the planner skip the other steps of care (measured, see
            # docs/performance.md "supervision")
            "CREATE INDEX IF NOT EXISTS usage_by_time_scene ON usage (time, scene)",
            "CREATE INDEX IF NOT EXISTS persons_by_area ON persons (area_code)",
        ],
    ),
    (
        2,
        "supervision settings and markers (demo data complete)",
        [
            """CREATE TABLE IF NOT EXISTS supervision_meta (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL
            )""",
        ],
    ),
    (
        3,
        "size of each priority group per area (the coverage denominator of a group, from its register)",
        [
            """CREATE TABLE IF NOT EXISTS supervision_group_population (
                area_code TEXT NOT NULL,
                grp TEXT NOT NULL,
                population INTEGER NOT NULL,
                source TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (area_code, grp)
            )""",
        ],
    ),
]

_done: weakref.WeakSet[Database] = weakref.WeakSet()
_lock = threading.Lock()


def ensure_schema(db: Database) -> None:
    """Apply pending supervision steps once per Database object (cheap after the first call)."""
    if db in _done:
        return
    with _lock:
        if db in _done:
            return
        from reference_node.config import fmt_time, now_cst

        with db.transaction() as cur:
            cur.run(
                "CREATE TABLE IF NOT EXISTS supervision_schema (version INTEGER PRIMARY KEY, "
                "description TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
        for version, description, steps in STEPS:
            with db.transaction() as cur:
                if db.dialect == "postgresql":
                    cur.run("SELECT pg_advisory_xact_lock(7348002)")
                row = cur.one("SELECT 1 FROM supervision_schema WHERE version = ?", (version,))
                if row is not None:
                    continue
                for step in steps:
                    cur.run(db.ddl(step))
                cur.run(
                    "INSERT INTO supervision_schema (version, description, applied_at) VALUES (?, ?, ?)",
                    (version, description, fmt_time(now_cst())),
                )
        _done.add(db)
