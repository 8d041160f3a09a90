"""Request bounds of the node (docs/node.md "Limits"): gRPC message size, REST body size (declared
and chunked), per-terminal rate limit. The reliability suite attacks the defaults; these tests pin
the configured behaviour with small bounds."""

from __future__ import annotations

import time

import grpc
import httpx
import pytest

from reference_node.auth import sign
from reference_node.client import error_of
from reference_node.config import NodeConfig
from reference_node.proto.ehc.node.v1 import usage_pb2 as up
from reference_node.testing import start_node
from tests.reference_node.node_helpers import issued_ehcid


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    cfg = NodeConfig(
        max_request_bytes=4096, max_http_body_bytes=4096, rate_limit_per_s=5.0, rate_limit_burst=10
    )
    running = start_node(tmp_path_factory.mktemp("small"), http=True, config=cfg)
    with running.client() as c:
        _CARD["ehcid"] = issued_ehcid(c)
    yield running
    running.stop()


_CARD = {"ehcid": ""}  # an EHCID the node under test issued (usage must name one: REL-F21)


def _record(org: str, request_id: str, org_name: str = "") -> up.UsageRecord:
    return up.UsageRecord(request_id=request_id, time=time.strftime("%Y%m%d%H%M%S"), org_code=org, use_city="370800",
                          scene="0101011", card_type="11", channel="0100", ehcid=_CARD["ehcid"],
                          org_name=org_name)  # fmt: skip


def _post(node, body: bytes, chunked: bool = False) -> httpx.Response:  # noqa: ANN001
    cred = node.credentials
    headers = sign(cred.secret, "POST /v1/usage", body, terminal_id=cred.terminal_id)
    content = iter([body[i : i + 1000] for i in range(0, len(body), 1000)]) if chunked else body
    return httpx.post(
        f"http://127.0.0.1:{node.http_port}/v1/usage", content=content, headers=headers, timeout=30
    )


@pytest.mark.parametrize("chunked", [False, True])
def test_rest_body_over_the_configured_bound_is_413_with_the_kit_code(small, chunked):
    r = _post(small, b'{"org_name":"' + b"x" * 5000 + b'"}', chunked=chunked)
    assert r.status_code == 413, r.text
    assert r.json()["code"] == "NODE_REQUEST_TOO_LARGE" and r.json()["number"] == 4906


def test_rest_body_under_the_bound_is_read_even_when_chunked(small):
    r = _post(small, b'{"org_name":"' + b"x" * 3000 + b'"}', chunked=True)
    assert r.status_code == 400 and r.json()["code"] != "NODE_REQUEST_TOO_LARGE", (
        r.text
    )  # parsed, then refused


def test_grpc_message_over_the_configured_bound_is_resource_exhausted(small):
    with small.client() as c:
        with pytest.raises(grpc.RpcError) as info:
            c.usage.Report(_record(c.credentials.org_code, "big", org_name="x" * 5000), timeout=30)
        assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        ack = c.usage.Report(_record(c.credentials.org_code, "small-after-big"), timeout=30)
        assert ack.accepted


def test_a_terminal_over_its_rate_is_refused_on_grpc_and_rest_and_admin_is_exempt(small):

    with small.client() as c:
        codes = []
        for i in range(40):  # burst 10 at 5/s: far more than 40 calls' time would refill
            try:
                c.usage.Report(_record(c.credentials.org_code, f"rate-{i}"), timeout=30)
                codes.append("OK")
            except grpc.RpcError as err:
                codes.append(error_of(err).code.name)
                assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert codes[0] == "OK" and "NODE_RATE_LIMITED" in codes, codes
    assert set(codes) <= {"OK", "NODE_RATE_LIMITED"}
    for _ in range(40):  # same terminal over REST: same bucket (it refills at 5/s meanwhile)
        r = _post(small, b"{}")
        if r.status_code == 429:
            break
        assert r.status_code == 400, r.text  # accepted by the limiter, refused for the empty body
    assert r.status_code == 429 and r.json()["code"] == "NODE_RATE_LIMITED", r.text
    assert int(r.headers["retry-after"]) >= 1
    with small.client("admin") as admin:  # provisioning tools run bulk calls with the admin credential
        for _ in range(30):
            admin.usage.QueryUsage(up.QueryUsageRequest(org_code=admin.credentials.org_code), timeout=30)


def test_locked_sqlite_store_is_unavailable_after_the_configured_wait_then_serves(tmp_path):
    import sqlite3

    from reference_node.client import error_of

    node = start_node(tmp_path, config=NodeConfig(sqlite_lock_wait_ms=300))
    try:
        with node.client() as c:
            org = c.credentials.org_code
            _CARD["ehcid"] = issued_ehcid(c)
            assert c.usage.Report(_record(org, "before-lock"), timeout=30).accepted
            other = sqlite3.connect(tmp_path / "ehc-node" / "node.db", isolation_level=None, timeout=30)
            other.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
            try:
                with pytest.raises(grpc.RpcError) as info:
                    c.usage.Report(_record(org, "during-lock"), timeout=30)  # deadline far off
                assert info.value.code() == grpc.StatusCode.UNAVAILABLE
                assert error_of(info.value).code.name == "NODE_STORE_ERROR"
            finally:
                other.execute("ROLLBACK")
                other.close()
            assert c.usage.Report(_record(org, "during-lock"), timeout=30).accepted  # the retry lands
    finally:
        node.stop()


def test_a_node_sharing_a_store_warns_when_replay_protection_is_per_process(tmp_path, db_url, caplog):
    """REL-F7: shared nonces are opt-in; a PostgreSQL node (the multi-process store) says so at start."""
    import logging

    caplog.set_level(logging.WARNING, logger="reference_node")
    # The node's JSON log setup turns propagation off once any node has configured logging, so
    # caplog (on the root logger) must listen on the node's logger itself.
    node_logger = logging.getLogger("reference_node")
    node_logger.addHandler(caplog.handler)
    try:
        for shared in (False, True):
            caplog.clear()
            node = start_node(tmp_path, db_url, config=NodeConfig(shared_nonces=shared))  # same keys
            node.stop()
            warned = any("--shared-nonces" in r.getMessage() for r in caplog.records)
            assert warned == (db_url is not None and not shared), (db_url is not None, shared)
    finally:
        node_logger.removeHandler(caplog.handler)
