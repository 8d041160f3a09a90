"""Schema migrations: an ordered list of SQL steps, applied once each, recorded in schema_version.

The same steps run on SQLite and PostgreSQL; ``{BLOB}`` and ``{SERIAL}`` are replaced per dialect.
Append new steps; never edit a released one. Identifiers and personal data are stored encrypted
(``*_enc``, SM4-CBC with a per-row IV and an HMAC-SM3 tag since step 6) next to a keyed blind index (``*_blind``) used for lookups.
Supervision needs time, organisation, area, medium and scene of every verification, usage and
issuance: those columns are stored in clear (they are not personal data).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reference_node.store.db import Cursor, Database

# a step is SQL, or a Python function given the cursor and the node's HSM (data rewrites)
Step = str | Callable[[Cursor, Any], None]

# every sealed (*_enc) column and the key of its table (REL-F23 reseal)
SEALED_COLUMNS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("persons", ("main_index",), "doc_enc"),
    ("persons", ("main_index",), "pii_enc"),
    ("media", ("medium", "key_blind"), "identifier_enc"),
    ("usage", ("terminal_id", "request_id"), "card_number_enc"),
    ("credentials", ("terminal_id",), "secret_enc"),
)


def reseal_authenticated(cur: Cursor, hsm: Any) -> None:
    """REL-F23: rewrite format-1 sealed values (SM4-CBC, no MAC) as format 2 (encrypt-then-MAC).

    Runs once, inside the migration's transaction; a fresh store has nothing to rewrite (no HSM
    needed). Afterwards the HSM refuses format 1, so a value cut back to it is not decrypted."""
    for table, keys, column in SEALED_COLUMNS:
        rows = cur.all(f"SELECT {', '.join(keys)}, {column} FROM {table} WHERE {column} IS NOT NULL")
        old = [r for r in rows if len(bytes(r[-1])) % 16 == 0]  # format 2 is 1 + blocks + 32 bytes
        if not old:
            continue
        if hsm is None:
            raise RuntimeError("sealed values of the old format need the node's HSM to migrate")
        hsm.legacy_reads = True
        try:
            fresh = [(hsm.seal(hsm.open(bytes(r[-1]))), *r[:-1]) for r in old]
        finally:
            hsm.legacy_reads = False
        where = " AND ".join(f"{k} = ?" for k in keys)
        cur.many(f"UPDATE {table} SET {column} = ? WHERE {where}", fresh)


MIGRATIONS: list[tuple[int, str, list[Step]]] = [
    (
        1,
        "initial schema",
        [
            """CREATE TABLE persons (
                main_index TEXT PRIMARY KEY,
                doc_type TEXT NOT NULL,
                doc_enc {BLOB} NOT NULL,
                pii_enc {BLOB} NOT NULL,
                sex TEXT NOT NULL,
                nation TEXT NOT NULL,
                birth_date TEXT NOT NULL,
                area_code TEXT NOT NULL,
                poverty_relief INTEGER NOT NULL DEFAULT 0,
                family_id TEXT NOT NULL DEFAULT '',
                merged_into TEXT,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )""",
            """CREATE TABLE media (
                medium INTEGER NOT NULL,
                key_blind TEXT NOT NULL,
                main_index TEXT,
                remote_node TEXT,
                remote_main_index TEXT,
                identifier_enc {BLOB},
                atr TEXT NOT NULL DEFAULT '',
                created_at TEXT NOT NULL,
                PRIMARY KEY (medium, key_blind)
            )""",
            "CREATE INDEX media_by_person ON media (main_index)",
            """CREATE TABLE cards (
                ehcid TEXT PRIMARY KEY,
                main_index TEXT NOT NULL,
                status INTEGER NOT NULL,
                attribute INTEGER NOT NULL,
                doc_type TEXT NOT NULL,
                application_mode TEXT NOT NULL,
                issued_at TEXT NOT NULL,
                area_code TEXT NOT NULL,
                org_code TEXT NOT NULL,
                status_reason TEXT NOT NULL DEFAULT '',
                previous TEXT NOT NULL DEFAULT '',
                superseded_by TEXT NOT NULL DEFAULT '',
                updated_at TEXT NOT NULL
            )""",
            "CREATE INDEX cards_by_person ON cards (main_index)",
            "CREATE INDEX cards_by_issue ON cards (issued_at, area_code)",
            """CREATE TABLE dynamic_codes (
                ehcid TEXT NOT NULL,
                valid_until TEXT NOT NULL,
                remaining INTEGER NOT NULL,
                max_verifications INTEGER NOT NULL,
                issued_at TEXT NOT NULL,
                PRIMARY KEY (ehcid, valid_until)
            )""",
            """CREATE TABLE verifications (
                id TEXT PRIMARY KEY,
                node_time TEXT NOT NULL,
                terminal_time TEXT NOT NULL,
                terminal_id TEXT NOT NULL,
                org_code TEXT NOT NULL,
                use_city TEXT NOT NULL,
                channel TEXT NOT NULL,
                medical_step TEXT NOT NULL,
                scene TEXT NOT NULL,
                department TEXT NOT NULL,
                medium TEXT NOT NULL,
                code_type TEXT NOT NULL,
                ehcid TEXT NOT NULL,
                main_index TEXT NOT NULL,
                ok INTEGER NOT NULL,
                error_code TEXT NOT NULL
            )""",
            "CREATE INDEX verifications_by_time ON verifications (node_time, org_code)",
            """CREATE TABLE usage (
                terminal_id TEXT NOT NULL,
                request_id TEXT NOT NULL,
                usage_id TEXT NOT NULL,
                content_digest TEXT NOT NULL,
                time TEXT NOT NULL,
                received_at TEXT NOT NULL,
                org_code TEXT NOT NULL,
                org_name TEXT NOT NULL,
                use_city TEXT NOT NULL,
                scene TEXT NOT NULL,
                medical_step TEXT NOT NULL,
                department TEXT NOT NULL,
                card_type TEXT NOT NULL,
                channel TEXT NOT NULL,
                payment_category TEXT NOT NULL,
                visit_type TEXT NOT NULL,
                ehcid TEXT NOT NULL,
                card_number_enc {BLOB},
                card_number_blind TEXT NOT NULL,
                atr TEXT NOT NULL,
                sam_number TEXT NOT NULL,
                reported_terminal TEXT NOT NULL,
                PRIMARY KEY (terminal_id, request_id)
            )""",
            "CREATE INDEX usage_by_org_time ON usage (org_code, time)",
            "CREATE INDEX usage_by_ehcid ON usage (ehcid, time)",
            """CREATE TABLE family (
                guardian TEXT NOT NULL,
                member TEXT NOT NULL,
                relation TEXT NOT NULL,
                created_at TEXT NOT NULL,
                PRIMARY KEY (guardian, member)
            )""",
            """CREATE TABLE merges (
                merge_id TEXT PRIMARY KEY,
                surviving TEXT NOT NULL,
                merged TEXT NOT NULL,
                reason TEXT NOT NULL,
                active INTEGER NOT NULL,
                created_at TEXT NOT NULL,
                undone_at TEXT NOT NULL DEFAULT ''
            )""",
            """CREATE TABLE audit (
                id {SERIAL},
                time TEXT NOT NULL,
                action TEXT NOT NULL,
                main_index TEXT NOT NULL,
                detail TEXT NOT NULL,
                terminal_id TEXT NOT NULL,
                org_code TEXT NOT NULL
            )""",
            "CREATE INDEX audit_by_person ON audit (main_index)",
            """CREATE TABLE organisations (
                code TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                level TEXT NOT NULL,
                area_code TEXT NOT NULL
            )""",
            """CREATE TABLE terminals (
                terminal_id TEXT PRIMARY KEY,
                org_code TEXT NOT NULL,
                terminal_type TEXT NOT NULL,
                certification INTEGER NOT NULL,
                role INTEGER NOT NULL,
                description TEXT NOT NULL DEFAULT ''
            )""",
            """CREATE TABLE credentials (
                terminal_id TEXT PRIMARY KEY,
                secret_enc {BLOB} NOT NULL,
                created_at TEXT NOT NULL,
                revoked INTEGER NOT NULL DEFAULT 0
            )""",
        ],
    ),
    (
        2,
        "card change feed: other node processes drop cached cards that changed",
        [
            """CREATE TABLE card_changes (
                id {SERIAL},
                ehcid TEXT NOT NULL,
                changed_at TEXT NOT NULL
            )""",
        ],
    ),
    (
        3,
        "linked codes of other platforms: the CARD_MEDIA code to record when they are verified",
        ["ALTER TABLE media ADD COLUMN card_medium TEXT NOT NULL DEFAULT ''"],
    ),
    (
        4,
        "nonces shared by node processes (optional replay protection across processes)",
        [
            "CREATE TABLE auth_nonces (nonce_key TEXT PRIMARY KEY, seen_at_ms BIGINT NOT NULL)",
            "CREATE INDEX auth_nonces_by_time ON auth_nonces (seen_at_ms)",
        ],
    ),
    (
        5,
        "owner organisation of each person (authorisation): the issuer of the person's first card",
        [
            "ALTER TABLE persons ADD COLUMN org_code TEXT NOT NULL DEFAULT ''",
            "UPDATE persons SET org_code = COALESCE((SELECT k.org_code FROM cards k WHERE k.main_index = "
            "persons.main_index ORDER BY k.issued_at, k.ehcid LIMIT 1), '')",
        ],
    ),
    (
        6,
        "sealed personal fields authenticated (encrypt-then-MAC): old SM4-CBC values rewritten",
        [reseal_authenticated],
    ),
    (
        7,
        "priority groups of each person (seed 004: employees, family-planning, birth registration, newborns)",
        [
            "ALTER TABLE persons ADD COLUMN priority_groups TEXT NOT NULL DEFAULT ''",
            # persons registered on a birth certificate are newborns (RegisterNewborn)
            "UPDATE persons SET priority_groups = 'newborn' WHERE doc_type = '08'",
        ],
    ),
]


def current_version(db: Database) -> int:
    with db.transaction() as cur:
        cur.run(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        row = cur.one("SELECT MAX(version) FROM schema_version")
    return int(row[0]) if row and row[0] is not None else 0


def migrate(db: Database, hsm: Any = None) -> int:
    """Apply pending steps, each in its own transaction; return the resulting version. ``hsm``
    is needed by data rewrites of existing rows (a fresh store migrates without it).

    On PostgreSQL an advisory lock serialises concurrent node processes starting together.
    """
    from reference_node.config import fmt_time, now_cst

    have = current_version(db)
    for version, description, steps in MIGRATIONS:
        if version <= have:
            continue
        with db.transaction() as cur:
            if db.dialect == "postgresql":
                cur.run("SELECT pg_advisory_xact_lock(7348001)")
                row = cur.one("SELECT MAX(version) FROM schema_version")
                if row and row[0] is not None and int(row[0]) >= version:
                    continue
            for step in steps:
                if callable(step):
                    step(cur, hsm)
                else:
                    cur.run(db.ddl(step))
            cur.run(
                "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                (version, description, fmt_time(now_cst())),
            )
    return current_version(db)
