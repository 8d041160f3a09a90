"""A thin database layer: the same SQL (``?`` placeholders) on SQLite and PostgreSQL.

SQLite: one connection per thread, WAL journal, ``synchronous`` FULL by default so a commit the
node acknowledged survives a crash *and* a power loss (NORMAL would survive a process crash only).
PostgreSQL: one connection per thread (psycopg 3), autocommit off, ``synchronous_commit`` left at
the server default (on). Both support ``INSERT ... ON CONFLICT`` and ``UPDATE ... RETURNING``,
which the node uses for idempotent inserts and atomic dynamic-code counters.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ehc.errors import EhcError
from reference_node.errors import STORE_ERROR

Row = tuple[Any, ...]


class Database:
    """Per-thread connections and a ``transaction()`` context; subclasses set the dialect."""

    dialect = "abstract"

    def __init__(self) -> None:
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()
        # bumped when any thread finds its connection lost (server restart, failover, outage): every
        # thread's older connection is then replaced before its next use, not found dead by a call
        self._lost = 0

    # -- dialect hooks
    def _connect(self) -> Any:
        raise NotImplementedError

    def _sql(self, sql: str) -> str:
        return sql

    def ddl(self, sql: str) -> str:
        """Substitute the dialect's types in schema SQL: {BLOB}, {SERIAL}."""
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    # -- connections
    def conn(self, relaxed: bool = False) -> Any:
        attr = "relaxed" if relaxed else "conn"
        c = getattr(self._local, attr, None)
        if c is not None and getattr(self._local, attr + "_lost", 0) != self._lost:
            self._forget(c, relaxed)  # opened before another thread saw the server lost
            c = None
        if c is None:
            c = self._connect_relaxed() if relaxed else self._connect()
            setattr(self._local, attr, c)
            setattr(self._local, attr + "_lost", self._lost)
            with self._lock:
                self._all.append(c)
        return c

    def _connect_relaxed(self) -> Any:
        """A connection whose commits need not reach the disk before returning (see transaction)."""
        return self._connect()

    def close(self) -> None:
        with self._lock:
            for c in self._all:
                try:
                    c.close()
                except Exception:  # noqa: BLE001 - closing at shutdown; nothing to do about it
                    pass
            self._all.clear()
        self._local = threading.local()

    # -- how long a request may wait for a lock (REL-F6); only SQLite uses it (see SqliteDatabase)
    request_wait_ms: int = 2000  # request path: a locked store is answered UNAVAILABLE after this
    background_wait_ms: int = 30000  # writer threads (verification log, access audit), migrations

    @contextmanager
    def wait_budget(self, ms: int | None) -> Iterator[None]:
        """Within the block, this thread waits at most ``ms`` for a database lock (None: the
        request default). The gRPC server passes half of the call's remaining deadline."""
        before = getattr(self._local, "wait_ms", None)
        self._local.wait_ms = ms
        try:
            yield
        finally:
            self._local.wait_ms = before

    @contextmanager
    def batch_budget(self) -> Iterator[None]:
        """A batch write (a population import's 4,000-record transaction) on a call with no
        deadline waits for a lock like a background writer, not the request wait: several import
        streams or node processes take turns on SQLite's one write lock, each holding it for a
        whole transaction. A call with a deadline keeps its budget (half of what is left)."""
        if getattr(self._local, "wait_ms", None) is None:
            with self.wait_budget(self.background_wait_ms):
                yield
        else:
            yield

    def background_thread(self) -> None:
        """Mark the calling thread as a background writer: it waits up to ``background_wait_ms``."""
        self._local.background = True

    def _wait_ms(self) -> int:
        ms = getattr(self._local, "wait_ms", None)
        if ms is not None:
            return max(int(ms), 1)
        return self.background_wait_ms if getattr(self._local, "background", False) else self.request_wait_ms

    def _prepare(self, c: Any, relaxed: bool) -> None:
        """Dialect hook run before each transaction (SQLite: set the lock wait)."""

    @contextmanager
    def transaction(self, relaxed: bool = False) -> Iterator[Cursor]:
        """One transaction, committed on exit. ``relaxed``: atomic and isolated, but the commit may
        return before it is on disk (SQLite synchronous=NORMAL, PostgreSQL synchronous_commit=off):
        a power loss can lose the last relaxed commits, never corrupt. Used for dynamic-code counters
        and the verification log only; usage reports and issuance always commit durably."""
        try:
            c = self.conn(relaxed)
        except Exception as exc:  # cannot connect (server down, out of file descriptors): not a crash
            if _is_db_error(exc):
                raise EhcError(STORE_ERROR, f"{type(exc).__name__}") from exc
            raise
        try:
            self._prepare(c, relaxed)
            cur = Cursor(self, c.cursor())
            if relaxed and self.dialect == "postgresql":
                cur.run("SET LOCAL synchronous_commit = off")
            yield cur
            c.commit()
        except EhcError:
            c.rollback()
            raise
        except Exception as exc:
            try:
                c.rollback()
            except Exception:  # noqa: BLE001 - connection may be gone
                self._forget(c, relaxed)
            if _is_db_error(exc):
                if _is_connection_lost(exc):
                    with self._lock:
                        self._lost += 1  # every thread reconnects before its next call
                    self._forget(c, relaxed)  # reconnect on the next call (server restart, failover)
                raise EhcError(STORE_ERROR, f"{type(exc).__name__}") from exc
            raise

    def _forget(self, c: Any, relaxed: bool) -> None:
        attr = "relaxed" if relaxed else "conn"
        if getattr(self._local, attr, None) is c:
            setattr(self._local, attr, None)
        with self._lock:
            if c in self._all:
                self._all.remove(c)
        try:
            c.close()
        except Exception:  # noqa: BLE001 - already broken
            pass

    def _many(self, cur: Any, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        cur.executemany(self._sql(sql), [tuple(r) for r in rows])

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self.transaction() as cur:
            return cur.all(sql, params)

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        with self.transaction() as cur:
            return cur.one(sql, params)


class Cursor:
    __slots__ = ("db", "cur")

    def __init__(self, db: Database, cur: Any) -> None:
        self.db = db
        self.cur = cur

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        self.cur.execute(self.db._sql(sql), tuple(params))
        return self.cur.rowcount

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.db._many(self.cur, sql, rows)

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        self.cur.execute(self.db._sql(sql), tuple(params))
        row = self.cur.fetchone()
        return tuple(row) if row is not None else None

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self.cur.execute(self.db._sql(sql), tuple(params))
        return [tuple(r) for r in self.cur.fetchall()]


def _is_connection_lost(exc: Exception) -> bool:
    try:
        import psycopg

        return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)
    except ImportError:  # pragma: no cover
        return False


def _is_db_error(exc: Exception) -> bool:
    if isinstance(exc, sqlite3.Error):
        return True
    try:
        import psycopg

        return isinstance(exc, psycopg.Error)
    except ImportError:  # pragma: no cover - psycopg is optional
        return False


class SqliteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, path: str | Path, synchronous: str = "FULL") -> None:
        super().__init__()
        if synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError("sqlite synchronous must be FULL, NORMAL or EXTRA")
        self.path = str(path)
        self.synchronous = synchronous.upper()
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            # created 0600 whatever the umask: SQLite gives the -wal and -shm files the database's mode
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))

    def _connect(self) -> sqlite3.Connection:
        c = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False, isolation_level="DEFERRED")
        c.execute("PRAGMA journal_mode=WAL")
        c.execute(f"PRAGMA synchronous={self.synchronous}")
        c.execute("PRAGMA foreign_keys=ON")
        c.execute("PRAGMA busy_timeout=30000")
        # random keys (main index, EHCID, blind indexes) touch pages all over the B-trees: a
        # 64 MiB page cache per connection keeps batch registration fast past 100,000 persons
        c.execute("PRAGMA cache_size=-65536")
        # checkpoint the WAL every ~40 MiB instead of ~4 MiB: batch chunks re-dirty the same
        # pages, so fewer checkpoints write (and fsync) each page fewer times
        c.execute("PRAGMA wal_autocheckpoint=10000")
        return c

    def _connect_relaxed(self) -> sqlite3.Connection:
        c = self._connect()
        c.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: survives a process crash, not power loss
        return c

    def _prepare(self, c: Any, relaxed: bool) -> None:
        # busy_timeout is per connection; connections are per thread, so remember what this
        # thread's connection is set to and only issue the PRAGMA when the wanted wait changes
        want = self._wait_ms()
        attr = "busy_relaxed" if relaxed else "busy_conn"
        if getattr(self._local, attr, None) != (id(c), want):
            c.execute(f"PRAGMA busy_timeout={want}")
            setattr(self._local, attr, (id(c), want))

    def ddl(self, sql: str) -> str:
        # (WITHOUT ROWID was measured slower for these wide rows: 6,200 vs 3,800 registrations/s)
        return sql.replace("{BLOB}", "BLOB").replace("{SERIAL}", "INTEGER PRIMARY KEY AUTOINCREMENT")

    def describe(self) -> str:
        return f"sqlite:{self.path} (WAL, synchronous={self.synchronous})"


_PLACEHOLDER = re.compile(r"\?")


class PostgresDatabase(Database):
    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        super().__init__()
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:  # pragma: no cover
            raise EhcError(STORE_ERROR, "PostgreSQL needs psycopg: pip install 'ehc-kit[postgres]'") from exc
        self.url = url
        self._sql_cache: dict[str, str] = {}

    def _connect(self) -> Any:
        import psycopg

        try:
            # application_name shows which node process holds a connection (pg_stat_activity)
            return psycopg.connect(
                self.url, autocommit=False, prepare_threshold=5, application_name=f"ehc-node {os.getpid()}"
            )
        except psycopg.Error as exc:
            raise EhcError(STORE_ERROR, f"cannot connect to PostgreSQL ({type(exc).__name__})") from exc

    def _sql(self, sql: str) -> str:
        out = self._sql_cache.get(sql)
        if out is None:
            out = self._sql_cache[sql] = _PLACEHOLDER.sub("%s", sql)
        return out

    # an INSERT of many rows: COPY into a per-connection staging table, then one INSERT ... SELECT
    # (a population import: psycopg's pipelined executemany spent ~60 µs of Python per row and
    # statement; COPY a few). Only plain inserts and ON CONFLICT ... DO NOTHING: DO UPDATE would
    # refuse a key repeated within the batch, which executemany allows.
    COPY_MIN_ROWS = 200
    _INSERT = re.compile(
        r"^\s*INSERT INTO (\w+) \(([\w, ]+)\) VALUES \([?, ]+\)\s*(ON CONFLICT \([\w, ]+\) DO NOTHING)?\s*$",
        re.S,
    )

    def _many(self, cur: Any, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        m = self._INSERT.match(sql) if len(rows) >= self.COPY_MIN_ROWS else None
        if m is None:
            cur.executemany(self._sql(sql), [tuple(r) for r in rows])
            return
        table, cols, tail = m.group(1), m.group(2), m.group(3) or ""
        stage = f"ehc_stage_{table}_{len(cols.split(','))}"
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS SELECT {cols} FROM {table} WITH NO DATA"
        )
        with cur.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(tuple(r))
        cur.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage} {tail}")
        cur.execute(f"DELETE FROM {stage}")  # a second batch in the same transaction starts empty

    def ddl(self, sql: str) -> str:
        return sql.replace("{BLOB}", "BYTEA").replace("{SERIAL}", "BIGSERIAL PRIMARY KEY")

    def describe(self) -> str:
        return "postgresql:" + re.sub(r"//[^@/]*@", "//***@", self.url)


def open_database(url: str | None, data_dir: str | Path | None = None, synchronous: str = "FULL") -> Database:
    """``postgresql://...`` → PostgreSQL; ``sqlite:///path`` or a path → SQLite; None → data_dir/node.db."""
    if url and url.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(url)
    if url and url.startswith("sqlite:///"):
        return SqliteDatabase(
            url[len("sqlite:///") - 1 :] if url.startswith("sqlite:////") else url[len("sqlite:///") :],
            synchronous,
        )
    if url:
        return SqliteDatabase(url, synchronous)
    if data_dir is None:
        raise EhcError(STORE_ERROR, "no database URL and no data directory")
    return SqliteDatabase(Path(data_dir) / "node.db", synchronous)
