"""A usage record names the reporting terminal: only the signing terminal's own id is stored."""

from __future__ import annotations

import grpc
import pytest
from node_helpers import register_request

from reference_node.proto.ehc.node.v1 import usage_pb2


def _record(node, ehcid: str, terminal_id: str, request_id: str) -> usage_pb2.UsageRecord:
    creds = node.credentials
    return usage_pb2.UsageRecord(
        request_id=request_id,
        time="20261203100000",
        org_code=creds.org_code,
        use_city="370800",
        scene="0101011",
        card_type="11",
        channel="0100",
        ehcid=ehcid,
        terminal_id=terminal_id,
    )


def test_a_report_in_another_terminals_name_is_refused_and_not_stored(tmp_path):
    from reference_node.testing import start_node

    node = start_node(tmp_path)
    try:
        client, admin = node.client(), node.client("admin")
        ehcid = client.issuance.Register(register_request()).card.ehcid
        with pytest.raises(grpc.RpcError) as refused:
            client.usage.Report(_record(node, ehcid, "SOMEONE-ELSE-0001", "SPOOF-1"))
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        ack = client.usage.Report(_record(node, ehcid, node.credentials.terminal_id, "OWN-1"))
        assert ack.accepted
        stored = admin.usage.QueryUsage(usage_pb2.QueryUsageRequest(ehcid=ehcid)).records
        assert [(r.request_id, r.terminal_id) for r in stored] == [("OWN-1", node.credentials.terminal_id)]
    finally:
        node.stop()
