"""Limits: oversized requests are refused with a clear code and the node stays up.

Bounds (docs/reliability.md §4): gRPC messages 1 MiB (NodeConfig.max_request_bytes; RESOURCE_EXHAUSTED
from gRPC), REST bodies 1 MiB (413 NODE_REQUEST_TOO_LARGE), calls per terminal (token bucket,
NODE_RATE_LIMITED), every text field its own length (NODE_FIELD_TOO_LONG), QR text 256 characters,
images 50 Mpx (qr_codec). REL-F9/F10/F11 were the missing bounds these tests found (fixed in 3a88ee1).
"""

from __future__ import annotations

import time
import uuid

import grpc
import httpx
import pytest

from reference_node.auth import sign
from reference_node.client import error_of
from reference_node.proto.ehc.node.v1 import usage_pb2 as up
from reference_node.proto.ehc.node.v1 import verification_pb2 as vp
from reference_node.testing import start_node
from tests.reference_node.node_helpers import issued_ehcid

METHOD = "/ehc.node.v1.UsageService/Report"


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    running = start_node(tmp_path_factory.mktemp("limits"), http=True)
    with running.client() as c:
        _CARD["ehcid"] = issued_ehcid(c)
    yield running
    running.stop()


_CARD = {"ehcid": ""}  # an EHCID the node issued (usage must name one: REL-F21)


def _record(org: str, **over: str) -> up.UsageRecord:
    values = dict(request_id="limit-ok", time=time.strftime("%Y%m%d%H%M%S"), org_code=org, use_city="370800",
                  scene="0101011", card_type="11", channel="0100", ehcid=_CARD["ehcid"])  # fmt: skip
    values.update(over)
    return up.UsageRecord(**values)


def _raw_call(node, raw: bytes, signed: bool = True) -> str:  # noqa: ANN001
    cred = node.credentials
    md = list(sign(cred.secret, METHOD, raw, terminal_id=cred.terminal_id).items()) if signed else []
    with grpc.insecure_channel(node.target, options=[("grpc.max_send_message_length", 128 << 20)]) as ch:
        call = ch.unary_unary(METHOD, request_serializer=None, response_deserializer=None)
        try:
            call(raw, metadata=md, timeout=120)
        except grpc.RpcError as err:
            return (
                err.code().name
                if err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                else error_of(err).code.name
            )
    return "OK"


def _still_serving(node) -> None:  # noqa: ANN001
    with node.client() as c:
        rec = _record(c.credentials.org_code, request_id=f"alive-{uuid.uuid4().hex[:16]}")
        assert c.usage.Report(rec, timeout=30).accepted


def test_grpc_message_over_64_mib_is_refused_and_the_node_stays_up(node):
    assert _raw_call(node, b"\x0a" * ((64 << 20) + 1024), signed=False) == "RESOURCE_EXHAUSTED"
    _still_serving(node)


@pytest.mark.parametrize(
    "field,value,code",
    [
        ("request_id", "r" * 65, "NODE_FIELD_TOO_LONG"),
        ("org_name", "名" * 101, "NODE_FIELD_TOO_LONG"),
        ("card_number", "C" * 33, "NODE_FIELD_TOO_LONG"),
        ("atr", "3B" * 34, "NODE_FIELD_TOO_LONG"),
        ("ehcid", "A" * 128, "NODE_FIELD_TOO_LONG"),
        ("org_name", "x\u0000y", "NODE_FIELD_BAD_FORMAT"),
    ],
)
def test_oversized_or_control_fields_are_refused_with_a_field_code(node, field, value, code):
    rec = _record(node.credentials.org_code, **{field: value})
    assert _raw_call(node, rec.SerializeToString()) == code


def test_oversized_qr_text_is_refused(node):
    with node.client() as c:
        with pytest.raises(grpc.RpcError) as info:
            c.verification.VerifyQr(
                vp.VerifyQrRequest(qr_text="A" * 100_000, context=c.context()), timeout=30
            )
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_of(info.value).code.number // 1000 in (2, 4)
    _still_serving(node)


def test_an_8_mib_unary_request_is_refused_as_too_large(node):
    rec = _record(node.credentials.org_code, org_name="x" * (8 << 20))
    assert _raw_call(node, rec.SerializeToString()) == "RESOURCE_EXHAUSTED"
    _still_serving(node)  # REL-F9 fixed: NodeConfig.max_request_bytes (1 MiB)


def test_rest_body_over_a_bound_is_refused_with_413(node):
    cred = node.credentials
    body = b'{"org_name":"' + b"x" * (8 << 20) + b'"}'
    headers = sign(cred.secret, "POST /v1/usage", body, terminal_id=cred.terminal_id)
    r = httpx.post(f"http://127.0.0.1:{node.http_port}/v1/usage", content=body, headers=headers, timeout=120)
    assert r.status_code == 413, (r.status_code, r.text[:200])
    assert r.json()["code"] == "NODE_REQUEST_TOO_LARGE"  # REL-F10 fixed: max_http_body_bytes (1 MiB)
    _still_serving(node)


def test_a_burst_from_one_terminal_is_rate_limited(tmp_path):
    # REL-F11 fixed: token bucket per terminal. A deployed node (`ehc node serve`) defaults to
    # 100 calls/s, burst 200; an in-process node (test harnesses, benchmarks) has none, so this
    # attacks the served default. Back-to-back calls run faster than the sustained rate, so the
    # bucket empties: the refusal must carry the kit code, after the whole burst was served.
    served_node = start_node(tmp_path, subprocess=True)
    served, refusal = 0, None
    try:
        with served_node.client() as c:
            ehcid = issued_ehcid(c)
            for i in range(3000):
                try:
                    c.usage.Report(
                        _record(c.credentials.org_code, request_id=f"burst-{i}", ehcid=ehcid), timeout=30
                    )
                    served += 1
                except grpc.RpcError as err:
                    refusal = err
                    break
    finally:
        served_node.stop()
    assert refusal is not None, f"{served} calls served without a refusal"
    assert refusal.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error_of(refusal).code.name == "NODE_RATE_LIMITED"
    assert served >= 200  # the burst
