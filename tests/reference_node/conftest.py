"""Fixtures: a real node on loopback gRPC, on SQLite and on PostgreSQL.

PostgreSQL: ``EHC_TEST_PG_URL`` when set (CI: scripts/start-postgres.sh prints it); otherwise the
fixture runs scripts/start-postgres.sh itself; if PostgreSQL cannot be reached the PostgreSQL
variants skip with the reason. Each test gets its own schema (search_path in the URL), dropped after.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_PG: dict[str, str | None] = {}


def pg_base_url() -> tuple[str | None, str]:
    """(url, reason) — url None when PostgreSQL is not available here."""
    if "url" in _PG:
        return _PG["url"], _PG["reason"] or ""
    url, reason = os.environ.get("EHC_TEST_PG_URL"), ""
    if not url:
        script = REPO / "scripts" / "start-postgres.sh"
        try:
            out = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=60)
            url = out.stdout.strip().splitlines()[-1] if out.returncode == 0 and out.stdout.strip() else None
            reason = "" if url else f"scripts/start-postgres.sh failed: {out.stderr.strip()[-200:]}"
        except (OSError, subprocess.SubprocessError) as exc:
            reason = f"cannot run scripts/start-postgres.sh: {exc}"
    if url:
        try:
            import psycopg

            psycopg.connect(url, connect_timeout=5).close()
        except Exception as exc:  # noqa: BLE001 - any failure means: skip with the reason
            reason, url = (
                f"PostgreSQL at EHC_TEST_PG_URL not reachable: {type(exc).__name__}: {str(exc)[:160]}",
                None,
            )
    _PG["url"], _PG["reason"] = url, reason
    return url, reason


def pg_schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest):
    if request.param == "sqlite":
        yield None
        return
    base, reason = pg_base_url()
    if base is None:
        print(f"SKIP PostgreSQL variant: {reason}")
        pytest.skip(f"PostgreSQL unavailable: {reason}")
    import psycopg

    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield pg_schema_url(base, schema)
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def running(tmp_path: Path, db_url: str | None):
    from reference_node.testing import start_node

    node = start_node(tmp_path, db_url)
    yield node
    node.stop()


@pytest.fixture
def client(running):
    with running.client() as c:
        yield c


@pytest.fixture
def admin(running):
    with running.client("admin") as c:
        yield c
