"""Dynamic-code counters stay exact under concurrent verifications, also across two node instances
sharing one database (separate connections, separate caches), on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import grpc
from node_helpers import register_request

from reference_node.client import NodeClient, error_of
from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip
from reference_node.proto.ehc.node.v1 import verification_pb2 as vp
from reference_node.runtime import start


def _attempt(client: NodeClient, text: str) -> str:
    try:
        return str(
            client.verification.VerifyQr(
                vp.VerifyQrRequest(qr_text=text, context=client.context())
            ).surplus_num
        )
    except grpc.RpcError as exc:
        return error_of(exc).code.name


def test_counter_exact_under_concurrency_across_two_nodes(running, client, db_url, tmp_path):
    second = start(
        tmp_path / "second",
        db_url=db_url or str(running.data_dir / "node.db"),
        keys=running.data_dir / "keys.json",
    )
    try:
        with NodeClient(second.target, running.credentials) as other:
            card = client.issuance.Register(register_request()).card
            code = client.issuance.GetQrCode(
                ip.GetQrCodeRequest(ehcid=card.ehcid, code_type=0, max_verifications=7, lifetime_seconds=120)
            )
            clients = [client, other] * 12
            with ThreadPoolExecutor(8) as pool:
                results = list(pool.map(lambda c: _attempt(c, code.qr_text), clients))
            ok = sorted(int(r) for r in results if r.isdigit())
            assert ok == list(range(7)), results  # each remaining count handed out exactly once
            assert results.count("NODE_QR_EXHAUSTED") == len(clients) - 7
            # a suspension on one instance is enforced at once by the other for dynamic codes
            fresh = client.issuance.GetQrCode(
                ip.GetQrCodeRequest(ehcid=card.ehcid, code_type=0, max_verifications=3, lifetime_seconds=119)
            )
            assert _attempt(other, fresh.qr_text) == "2"  # warms the second instance's cache
            client.issuance.Suspend(ip.CardActionRequest(ehcid=card.ehcid))
            assert _attempt(other, fresh.qr_text) == "NODE_CARD_SUSPENDED"
    finally:
        second.stop()
