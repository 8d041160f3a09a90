"""The store going away and coming back, with the node running.

PostgreSQL: the node's own database is closed to new connections and its backends terminated
(``pg_terminate_backend`` on a private database: other tests on the cluster are not touched),
then reopened. SQLite: another process holds an exclusive lock on the file, then releases it.
Calls during the outage must fail fast with UNAVAILABLE + NODE_STORE_ERROR, without leaking the
database URL; after it, the node must serve again without a restart.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager

import grpc
import pytest
from rel_store import pg_admin_url, private_pg_database

from reference_node.client import error_of
from reference_node.proto.ehc.node.v1 import usage_pb2 as up
from reference_node.testing import start_node
from tests.reference_node.node_helpers import issued_ehcid

CALL_DEADLINE_S = 5.0  # "fail fast": a terminal's own timeout is usually a few seconds


_CARDS: dict[
    tuple[str, bytes], str
] = {}  # (node target, terminal secret) -> an EHCID it issued (usage must name one: REL-F21)


def _report(client, i: int) -> up.ReportAck:  # noqa: ANN001
    if (client.target, client.credentials.secret) not in _CARDS:
        _CARDS[client.target, client.credentials.secret] = issued_ehcid(client)
    rec = up.UsageRecord(
        request_id=f"outage-{i}", time=time.strftime("%Y%m%d%H%M%S"), org_code=client.credentials.org_code,
        use_city="370800", scene="0101011", card_type="11", channel="0100", ehcid=_CARDS[client.target, client.credentials.secret],
    )  # fmt: skip
    return client.usage.Report(rec, timeout=CALL_DEADLINE_S)


@pytest.fixture
def pg():
    admin, reason = pg_admin_url()
    if admin is None:
        print(f"SKIP PostgreSQL outage: {reason}")
        pytest.skip(reason)
    with private_pg_database(admin) as (url, name):
        yield admin, url, name


@contextmanager
def _pg_outage(admin: str, name: str):
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
    try:
        yield
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")


def test_postgresql_outage_fails_fast_with_unavailable(tmp_path, pg):
    admin, url, name = pg
    node = start_node(tmp_path, url)
    try:
        with node.client() as c:
            assert _report(c, 0).accepted
            with _pg_outage(admin, name):
                for i in range(1, 4):
                    with pytest.raises(grpc.RpcError) as info:
                        _report(c, i)
                    assert info.value.code() == grpc.StatusCode.UNAVAILABLE, info.value.details()
                    assert error_of(info.value).code.name == "NODE_STORE_ERROR"
                    assert (
                        "ehc-test-only" not in info.value.details()
                        and "postgresql://" not in info.value.details()
                    )
    finally:
        node.stop()


# REL-F5 (found here, fixed in reference_node 0863c82): a broken PostgreSQL connection was kept
# per thread and every later call failed until a restart.
def test_postgresql_outage_node_recovers_without_restart(tmp_path, pg):
    admin, url, name = pg
    node = start_node(tmp_path, url)
    try:
        with node.client() as c:
            assert _report(c, 0).accepted
            with _pg_outage(admin, name), pytest.raises(grpc.RpcError):
                _report(c, 1)
            results = []
            for i in range(2, 12):
                try:
                    results.append(_report(c, i).accepted)
                except grpc.RpcError as err:
                    results.append(error_of(err).code.name)
            assert results == [True] * 10, results
    finally:
        node.stop()


@contextmanager
def _sqlite_locked(path):  # noqa: ANN001, ANN202
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def test_sqlite_lock_released_node_recovers_without_restart(tmp_path):
    node = start_node(tmp_path)
    try:
        with node.client() as c:
            assert _report(c, 0).accepted
            with _sqlite_locked(tmp_path / "ehc-node" / "node.db"), pytest.raises(grpc.RpcError):
                _report(c, 1)  # refused or timed out, never acknowledged while locked
            assert all(_report(c, i).accepted for i in range(2, 7))
    finally:
        node.stop()


def test_sqlite_locked_fails_fast_with_unavailable(tmp_path):
    # REL-F6 fixed: request-path lock wait 2 s (NodeConfig.sqlite_lock_wait_ms), at most half the
    # call's remaining deadline; the refusal comes well inside the 5 s deadline
    node = start_node(tmp_path)
    try:
        with node.client() as c:
            assert _report(c, 0).accepted
            with _sqlite_locked(tmp_path / "ehc-node" / "node.db"), pytest.raises(grpc.RpcError) as info:
                _report(c, 1)
            assert info.value.code() == grpc.StatusCode.UNAVAILABLE, info.value.code()
            assert error_of(info.value).code.name == "NODE_STORE_ERROR"
    finally:
        node.stop()


@pytest.fixture
def small_filesystem(tmp_path):
    """A 4 MiB tmpfs (needs root and mount rights; skipped with the reason otherwise)."""
    import subprocess

    mount_point = tmp_path / "fs"
    mount_point.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)  # fmt: skip
    if proc.returncode != 0:
        reason = f"cannot mount a small tmpfs here: {proc.stderr.strip()[:160] or proc.returncode}"
        print(f"SKIP disk-full test: {reason}")
        pytest.skip(reason)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def test_disk_full_refuses_without_acknowledging_and_recovers(small_filesystem):
    """SQLite on a full filesystem: no ack without the data, UNAVAILABLE + NODE_STORE_ERROR, and
    the node serves again once space is freed, without restart; every ack survives a restart."""
    from rel_store import StoreReader

    node = start_node(small_filesystem)
    acked, refused = [], []
    try:
        with node.client() as c:
            for i in range(3):
                assert _report(c, i).accepted
                acked.append(f"outage-{i}")
            filler = small_filesystem / "filler"
            with open(filler, "wb") as fh:
                try:
                    while True:
                        fh.write(b"\0" * 65536)
                        fh.flush()
                except OSError:
                    pass
            for i in range(3, 200):
                try:
                    if _report(c, i).accepted:
                        acked.append(f"outage-{i}")
                except grpc.RpcError as err:
                    assert err.code() == grpc.StatusCode.UNAVAILABLE, err.details()
                    assert error_of(err).code.name == "NODE_STORE_ERROR"
                    refused.append(i)
                    if len(refused) >= 5:
                        break
            assert refused, "the filesystem never filled up: the test did not exercise disk-full"
            filler.unlink()
            assert _report(c, 1000).accepted, "no recovery after space was freed"
            acked.append("outage-1000")
    finally:
        node.stop()
    again = start_node(small_filesystem)
    try:
        stored = {
            r[0]
            for r in StoreReader(None, small_filesystem / "ehc-node").rows("SELECT request_id FROM usage")
        }
        assert set(acked) <= stored, sorted(set(acked) - stored)[:5]
        print(f"disk full: {len(acked)} acked (all stored), {len(refused)} refused with NODE_STORE_ERROR")
    finally:
        again.stop()
