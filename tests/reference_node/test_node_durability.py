"""Acknowledged writes survive kill -9 of the node process (SQLite WAL synchronous=FULL; PostgreSQL commit)."""

from __future__ import annotations

from node_helpers import register_request

from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip
from reference_node.proto.ehc.node.v1 import usage_pb2 as up
from reference_node.testing import start_node


def test_acknowledged_usage_survives_kill_9(tmp_path, db_url):
    proc = start_node(tmp_path, db_url, subprocess=True)
    try:
        with proc.client() as c:
            reg = c.issuance.Register(register_request())
            acks = list(
                c.usage.ReportStream(
                    iter(
                        up.UsageRecord(
                            request_id=f"k-{i}",
                            time="20261126110000",
                            org_code=c.credentials.org_code,
                            use_city="370800",
                            scene="0101011",
                            card_type="11",
                            channel="0100",
                            ehcid=reg.card.ehcid,
                        )  # fmt: skip
                        for i in range(50)
                    )
                )
            )
            assert all(a.accepted for a in acks)
            c.issuance.Suspend(ip.CardActionRequest(ehcid=reg.card.ehcid))
        proc.kill()  # SIGKILL right after the last ack: no shutdown, no flush
        assert proc.process.returncode == -9
    finally:
        proc.stop()
    again = start_node(tmp_path, db_url, subprocess=True)
    try:
        with again.client() as c:
            got = c.usage.QueryUsage(up.QueryUsageRequest(ehcid=reg.card.ehcid, limit=1000)).records
            assert sorted(r.request_id for r in got) == sorted(f"k-{i}" for i in range(50))
            assert c.issuance.GetCard(ip.GetCardRequest(ehcid=reg.card.ehcid)).card.status == 2
    finally:
        again.stop()
