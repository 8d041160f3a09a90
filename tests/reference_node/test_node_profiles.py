"""Configurable profile values: re-issue refusal, chunked batch, change feed across node instances, TLS."""

from __future__ import annotations

import datetime as dt
import os
import time

import grpc
import pytest
from node_helpers import refused, register_request

from reference_node.client import NodeClient, error_of
from reference_node.config import NodeConfig
from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip
from reference_node.proto.ehc.node.v1 import verification_pb2 as vp
from reference_node.runtime import start
from reference_node.testing import start_node

S = grpc.StatusCode


def test_reissue_refused_while_a_dynamic_code_is_valid(tmp_path, db_url):
    node = start_node(tmp_path, db_url, config=NodeConfig(refuse_reissue_while_valid=True))
    try:
        with node.client() as c:
            card = c.issuance.Register(register_request()).card
            req = ip.GetQrCodeRequest(ehcid=card.ehcid, code_type=0, lifetime_seconds=60, max_verifications=1)
            code = c.issuance.GetQrCode(req)
            refused(lambda: c.issuance.GetQrCode(req), S.FAILED_PRECONDITION, "NODE_QR_REISSUE_REFUSED")
            # a static code is not affected, and a used-up dynamic code no longer blocks
            assert c.issuance.GetQrCode(ip.GetQrCodeRequest(ehcid=card.ehcid, code_type=1)).qr_text.endswith(
                ":1"
            )
            c.verification.VerifyQr(vp.VerifyQrRequest(qr_text=code.qr_text, context=c.context()))
            assert c.issuance.GetQrCode(req).surplus_num == 1
    finally:
        node.stop()


def test_lifetime_and_count_limits_are_enforced(client, running):
    card = client.issuance.Register(register_request()).card
    cfg = running.node.config
    for field, value in (
        ("lifetime_seconds", cfg.dynamic_max_lifetime_s + 1),
        ("max_verifications", cfg.dynamic_max_verifications_limit + 1),
        ("lifetime_seconds", -5),
    ):
        req = ip.GetQrCodeRequest(ehcid=card.ehcid, code_type=0, **{field: value})
        err = refused(
            lambda req=req: client.issuance.GetQrCode(req), S.INVALID_ARGUMENT, "NODE_FIELD_BAD_FORMAT"
        )
        assert field in err.details()
    default = client.issuance.GetQrCode(ip.GetQrCodeRequest(ehcid=card.ehcid, code_type=0))
    assert default.surplus_num == cfg.dynamic_max_verifications
    until = dt.datetime.strptime(default.valid_until, "%Y%m%d%H%M%S")
    now_cst = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=8)
    assert abs((until - now_cst).total_seconds() - cfg.dynamic_lifetime_s) < 30


def test_chunked_batch_counts_records(client):
    records = [register_request(request_id=f"c{i}") for i in range(12)]
    records[4] = register_request(request_id="bad", document_number="12345")
    chunks = [ip.RegisterChunk(records=records[i : i + 5]) for i in range(0, 12, 5)]
    items = [it for res in client.issuance.RegisterBatchChunks(iter(chunks)) for it in res.items]
    assert [it.index for it in items] == list(range(12))
    assert [it.request_id for it in items if not it.ok] == ["bad"]
    assert items[4].error.code == "NODE_DOCUMENT_INVALID"


def test_static_code_suspension_reaches_another_instance_via_the_change_feed(
    running, client, db_url, tmp_path
):
    second = start(
        tmp_path / "second",
        db_url=db_url or str(running.data_dir / "node.db"),
        keys=running.data_dir / "keys.json",
    )
    try:
        with NodeClient(second.target, running.credentials) as other:
            reg = client.issuance.Register(register_request())
            req = vp.VerifyQrRequest(qr_text=reg.qr_text, context=other.context())
            assert other.verification.VerifyQr(req).card.status == 1  # now cached by the second instance
            client.issuance.Suspend(ip.CardActionRequest(ehcid=reg.card.ehcid))
            deadline = time.monotonic() + 10 * second.node.config.change_poll_ms / 1000 + 5
            outcome = "OK"
            while time.monotonic() < deadline:
                try:
                    other.verification.VerifyQr(req)
                except grpc.RpcError as exc:
                    outcome = error_of(exc).code.name
                    break
                time.sleep(0.1)
            assert outcome == "NODE_CARD_SUSPENDED"
    finally:
        second.stop()


def _self_signed() -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


@pytest.mark.parametrize("db_url", [None], indirect=False)
def test_tls(tmp_path, db_url):
    key, cert = _self_signed()
    node = start(tmp_path, grpc_address="localhost:0", tls=(key, cert))
    try:
        target = f"localhost:{node.grpc.port}"
        with NodeClient(target, node.credentials, tls_root=cert) as c:
            assert c.issuance.Register(register_request()).card.ehcid
        with NodeClient(target, node.credentials) as plain:  # plaintext to a TLS port fails
            with pytest.raises(grpc.RpcError) as info:
                plain.issuance.Register(register_request(), timeout=5)
            assert info.value.code() == S.UNAVAILABLE
    finally:
        node.stop()


def test_postgres_connection_loss_is_a_coded_error_then_recovers(running, client, db_url):
    if db_url is None:
        pytest.skip("PostgreSQL only: SQLite has no server connection to lose")
    import psycopg

    reg = client.issuance.Register(register_request())
    with psycopg.connect(db_url, autocommit=True) as admin_conn:  # only this test process's node connections
        killed = admin_conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s",
            (f"ehc-node {os.getpid()}",),
        ).fetchone()[0]
    assert killed >= 1
    outcomes = []
    for _ in range(40):  # every worker thread's connection was killed: each fails once, then reconnects
        try:
            client.issuance.GetCard(ip.GetCardRequest(ehcid=reg.card.ehcid))
            outcomes.append("OK")
        except grpc.RpcError as exc:
            outcomes.append(error_of(exc).code.name)
    assert set(outcomes) <= {"OK", "NODE_STORE_ERROR"}
    assert outcomes[-5:] == ["OK"] * 5


def test_an_extension_service_is_served_signed_and_reflected(tmp_path):
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    from reference_node import server

    def whoami(node, caller, request):  # noqa: ANN001, ANN202
        return ip.GetCardRequest(ehcid=caller.terminal_id)

    server.register_service("WhoAmITestService", {"WhoAmI": (whoami, ip.GetCardRequest, "unary")})
    try:
        node = start_node(tmp_path)
        try:
            with node.client() as c:
                call = c.channel.unary_unary(
                    "/ehc.node.v1.WhoAmITestService/WhoAmI",
                    request_serializer=ip.GetCardRequest.SerializeToString,
                    response_deserializer=ip.GetCardRequest.FromString,
                )
                assert call(ip.GetCardRequest()).ehcid == node.credentials.terminal_id
            with grpc.insecure_channel(node.target) as ch:
                refused(
                    lambda: ch.unary_unary("/ehc.node.v1.WhoAmITestService/WhoAmI")(b""),
                    S.UNAUTHENTICATED,
                    "NODE_AUTH_MISSING",
                )
                refl = reflection_pb2_grpc.ServerReflectionStub(ch)
                (resp,) = list(
                    refl.ServerReflectionInfo(
                        iter([reflection_pb2.ServerReflectionRequest(list_services="")])
                    )
                )
                assert "ehc.node.v1.WhoAmITestService" in {
                    s.name for s in resp.list_services_response.service
                }
        finally:
            node.stop()
    finally:
        del server.SERVICES["WhoAmITestService"]


def test_overload_is_refused_quickly_not_queued(tmp_path):
    """Past max_concurrent_rpcs calls in progress, a call gets RESOURCE_EXHAUSTED at once."""
    import threading

    from reference_node.proto.ehc.node.v1 import usage_pb2 as up

    node = start(tmp_path, max_concurrent_rpcs=1, workers=4)
    try:
        gate = threading.Event()
        with node.client() as c:
            # a ReportStream held open occupies the only slot until the gate opens
            def records():
                gate.wait(10)
                return
                yield up.UsageRecord()  # pragma: no cover - generator shape only

            held = c.usage.ReportStream(records())
            outcomes = []
            with node.client() as other:
                deadline = time.monotonic() + 15
                while time.monotonic() < deadline:  # until the held stream has taken the slot
                    try:
                        other.issuance.GetCard(ip.GetCardRequest(ehcid="A" * 64), timeout=10)
                    except grpc.RpcError as exc:
                        outcomes.append(exc.code())
                        if exc.code() == S.RESOURCE_EXHAUSTED:
                            break
                    time.sleep(0.1)
            assert outcomes and outcomes[-1] == S.RESOURCE_EXHAUSTED
            assert set(outcomes) <= {S.RESOURCE_EXHAUSTED, S.NOT_FOUND}
            gate.set()
            assert list(held) == []
    finally:
        node.stop()
