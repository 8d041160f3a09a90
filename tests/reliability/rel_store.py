"""Direct read access to a node's store (SQLite file or PostgreSQL database) for the reliability
tests, and a private PostgreSQL database per test module (dropped afterwards)."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

PG_ENV = "EHC_TEST_PG_URL"


def pg_admin_url() -> tuple[str | None, str]:
    """(url, reason): the PostgreSQL server of EHC_TEST_PG_URL, or None and why not."""
    url = os.environ.get(PG_ENV)
    if not url:
        return None, f"{PG_ENV} is not set (scripts/start-postgres.sh prints a URL)"
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=5).close()
    except Exception as exc:  # noqa: BLE001 - any failure: skip with the reason
        return None, f"PostgreSQL at {PG_ENV} not reachable: {type(exc).__name__}: {str(exc)[:160]}"
    return url, ""


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@contextmanager
def private_pg_database(admin_url: str) -> Iterator[tuple[str, str]]:
    """A fresh database (url, name) on the test server, dropped (forcibly) afterwards."""
    import psycopg

    name = "ehc_rel_" + uuid.uuid4().hex[:10]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield with_database(admin_url, name), name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class StoreReader:
    """Read-only SQL on the node's store, ``?`` placeholders on both dialects."""

    def __init__(self, db_url: str | None, data_dir: Path) -> None:
        self.db_url = db_url
        self.sqlite_path = None if db_url else data_dir / "node.db"

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.sqlite_path is not None:
            conn = sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True, timeout=30)
            try:
                return [tuple(r) for r in conn.execute(sql, tuple(params)).fetchall()]
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(self.db_url, autocommit=True) as conn:
            return [tuple(r) for r in conn.execute(sql.replace("?", "%s"), tuple(params)).fetchall()]
