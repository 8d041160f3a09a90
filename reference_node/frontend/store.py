"""The front-end's own SQLite store: terminal credentials, the usage outbox and the relay log.

The outbox is the store-and-forward promise: a usage report is acknowledged to the HIS only after
its row is committed with ``journal_mode=WAL`` and ``synchronous=FULL`` (SQLite fsyncs the WAL in
the commit), so a SIGKILL or power cut after the ack cannot lose it. The relay log (which real
terminal made which upstream call) is written on a second connection with ``synchronous=NORMAL``:
it is a record, not a promise, and must not cost an fsync per verification.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ehc.errors import EhcError
from reference_node.frontend.errors import STORE_FAILED

PENDING, DELIVERED, REJECTED = 0, 1, 2

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS terminals (terminal_id TEXT PRIMARY KEY, secret BLOB NOT NULL, "
    "revoked INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL)",
    # seq gives the forwarding order (per card, and overall); request_id is unique across the
    # front-end's terminals because upstream they all report as one signing terminal
    "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL UNIQUE, "
    "terminal_id TEXT NOT NULL, ehcid TEXT NOT NULL, digest TEXT NOT NULL, record BLOB NOT NULL, "
    "received_at REAL NOT NULL, state INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0, "
    "delivered_at REAL, upstream_usage_id TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '')",
    "CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, seq)",
    "CREATE TABLE IF NOT EXISTS relay_log (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, "
    "terminal_id TEXT NOT NULL, method TEXT NOT NULL, source TEXT NOT NULL, result TEXT NOT NULL, "
    "ref TEXT NOT NULL DEFAULT '')",
)


@dataclass(frozen=True, slots=True)
class OutboxRow:
    seq: int
    request_id: str
    terminal_id: str
    record: bytes
    attempts: int


class FrontendStore:
    """Thread-safe access to ``frontend.db`` (one connection per purpose, each behind a lock)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = self._connect("FULL")
        self._log = self._connect("NORMAL")
        self._lock = threading.Lock()
        self._log_lock = threading.Lock()
        with self._lock:
            for sql in _SCHEMA:
                self._db.execute(sql)
        os.chmod(self.path, 0o600)  # holds terminal secrets

    def _connect(self, synchronous: str) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        return conn

    def durability(self) -> tuple[str, int]:
        """(journal_mode, synchronous) of the outbox connection: ("wal", 2 = FULL) expected."""
        with self._lock:
            mode = self._db.execute("PRAGMA journal_mode").fetchone()[0]
            sync = self._db.execute("PRAGMA synchronous").fetchone()[0]
        return str(mode), int(sync)

    def close(self) -> None:
        with self._lock, self._log_lock:
            self._db.close()
            self._log.close()

    # ---------------------------------------------------------------- credentials
    def add_terminal(self, terminal_id: str, secret: bytes) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO terminals (terminal_id, secret, revoked, created_at) VALUES (?, ?, 0, ?) "
                "ON CONFLICT (terminal_id) DO UPDATE SET secret = excluded.secret, revoked = 0",
                (terminal_id, secret, time.time()),
            )

    def revoke_terminal(self, terminal_id: str) -> bool:
        with self._lock:
            return (
                self._db.execute(
                    "UPDATE terminals SET revoked = 1 WHERE terminal_id = ?", (terminal_id,)
                ).rowcount
                == 1
            )

    def credential(self, terminal_id: str) -> tuple[bytes, bool] | None:
        """(secret, revoked) of a local terminal, None when unknown."""
        try:
            with self._lock:
                row = self._db.execute(
                    "SELECT secret, revoked FROM terminals WHERE terminal_id = ?", (terminal_id,)
                ).fetchone()
        except sqlite3.Error as exc:
            raise EhcError(STORE_FAILED, f"local store failed ({type(exc).__name__})") from None
        return None if row is None else (bytes(row[0]), bool(row[1]))

    # ---------------------------------------------------------------- outbox
    def enqueue(
        self, request_id: str, terminal_id: str, ehcid: str, digest: str, record: bytes
    ) -> tuple[int, bool]:
        """Commit a report durably; (seq, duplicate). ``duplicate``: the same terminal already
        sent this exact record. Raises USAGE_CONFLICT for a request id already used otherwise."""
        from reference_node.errors import USAGE_CONFLICT

        try:
            with self._lock:
                cur = self._db.execute(
                    "INSERT INTO outbox (request_id, terminal_id, ehcid, digest, record, received_at) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING",
                    (request_id, terminal_id, ehcid, digest, record, time.time()),
                )
                if cur.rowcount == 1:
                    return int(cur.lastrowid or 0), False
                row = self._db.execute(
                    "SELECT seq, terminal_id, digest FROM outbox WHERE request_id = ?", (request_id,)
                ).fetchone()
        except sqlite3.Error as exc:  # disk full, I/O error: the HIS must not get an ack
            raise EhcError(STORE_FAILED, f"local store failed ({type(exc).__name__})") from None
        if row is None or row[1] != terminal_id or row[2] != digest:
            raise EhcError(USAGE_CONFLICT, field="request_id")
        return int(row[0]), True

    def pending(self, limit: int = 100) -> list[OutboxRow]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, request_id, terminal_id, record, attempts FROM outbox WHERE state = ? "
                "ORDER BY seq LIMIT ?",
                (PENDING, limit),
            ).fetchall()
        return [OutboxRow(int(r[0]), r[1], r[2], bytes(r[3]), int(r[4])) for r in rows]

    def settle(self, rows: list[tuple[int, int, str, str]]) -> None:
        """Mark (seq, state, upstream usage id, error) rows in one transaction (one fsync). A crash
        before it commits only means the rows are sent again: the node answers duplicate."""
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "UPDATE outbox SET state = ?, delivered_at = ?, upstream_usage_id = ?, error = ?, "
                    "attempts = attempts + 1 WHERE seq = ?",
                    [(state, now, usage_id, error, seq) for seq, state, usage_id, error in rows],
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def prune(self, before: float) -> int:
        """Delete settled outbox rows and relay-log entries older than ``before`` (epoch seconds)."""
        with self._lock:
            n = self._db.execute(
                "DELETE FROM outbox WHERE state != ? AND delivered_at < ?", (PENDING, before)
            ).rowcount
        with self._log_lock:
            n += self._log.execute("DELETE FROM relay_log WHERE at < ?", (before,)).rowcount
        return n

    def rejected(self, limit: int = 100) -> list[tuple[str, str, str]]:
        """(request_id, real terminal, node's code) of reports the node refused after the local ack."""
        with self._lock:
            rows = self._db.execute(
                "SELECT request_id, terminal_id, error FROM outbox WHERE state = ? ORDER BY seq LIMIT ?",
                (REJECTED, limit),
            ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall()
        by = {int(s): int(n) for s, n in rows}
        return {
            "pending": by.get(PENDING, 0),
            "delivered": by.get(DELIVERED, 0),
            "rejected": by.get(REJECTED, 0),
        }

    def outbox(self) -> list[tuple[str, str, int, str]]:
        """(request_id, terminal_id, state, error) of every report, in order (status, tests)."""
        with self._lock:
            return [
                (r[0], r[1], int(r[2]), r[3])
                for r in self._db.execute(
                    "SELECT request_id, terminal_id, state, error FROM outbox ORDER BY seq"
                ).fetchall()
            ]

    # ---------------------------------------------------------------- relay log
    def log(self, terminal_id: str, method: str, source: str, result: str, ref: str = "") -> None:
        """Which real terminal made a call (upstream every call is the hospital's credential)."""
        try:
            with self._log_lock:
                self._log.execute(
                    "INSERT INTO relay_log (at, terminal_id, method, source, result, ref) VALUES (?, ?, ?, ?, ?, ?)",
                    (time.time(), terminal_id, method, source, result, ref),
                )
        except sqlite3.Error:
            pass  # the log is best effort; the call's answer does not depend on it

    def log_rows(self, limit: int = 1000) -> list[tuple[str, str, str, str, str]]:
        with self._log_lock:
            return [
                tuple(r)
                for r in self._log.execute(
                    "SELECT terminal_id, method, source, result, ref FROM relay_log ORDER BY id LIMIT ?",
                    (limit,),
                ).fetchall()
            ]
