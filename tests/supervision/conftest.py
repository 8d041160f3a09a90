"""Fixtures: a real node (SQLite and PostgreSQL) holding a small, hand-computed history.

PostgreSQL: ``EHC_TEST_PG_URL`` (CI: scripts/start-postgres.sh prints it); without it, or when it
cannot be reached, the PostgreSQL variants skip and print why. Each test gets its own schema.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sv_history import build_hand_history


def pg_base_url() -> tuple[str | None, str]:
    url = os.environ.get("EHC_TEST_PG_URL")
    if not url:
        return None, "EHC_TEST_PG_URL is not set"
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=5).close()
    except Exception as exc:  # noqa: BLE001 - any failure: skip with the reason
        return None, f"PostgreSQL at EHC_TEST_PG_URL not reachable: {type(exc).__name__}: {str(exc)[:160]}"
    return url, ""


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

    schema = "sv_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def hand_node(tmp_path: Path, db_url: str | None):
    """A running node (gRPC + REST) with the hand-computed history of tests/supervision/sv_history.py."""
    from reference_node.config import NodeConfig
    from reference_node.testing import start_node

    # the hand history (2019-2021, synthetic EHCIDs) is an import: the node takes old uses of any card
    node = start_node(
        tmp_path,
        db_url,
        http=True,
        config=NodeConfig(usage_max_age_days=36500, usage_requires_known_card=False),
    )
    try:
        build_hand_history(node)
        yield node
    finally:
        node.stop()
