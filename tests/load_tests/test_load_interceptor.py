"""The timing interceptor over real gRPC (echo server and reference node, in this process — the
interceptor module imports no Locust): names, sizes and outcomes it reports."""

from __future__ import annotations

import socket
from typing import Any

import grpc
import pytest

from load_tests.echo import FULL_METHOD
from load_tests.echo.server import build_server
from load_tests.interceptor import Expect, LocustInterceptor


class _Events:
    """Stands in for Locust's Environment.events: collects what the interceptor fires."""

    def __init__(self) -> None:
        self.fired: list[dict[str, Any]] = []
        self.request = self

    def fire(self, **kw: Any) -> None:
        self.fired.append(kw)


class _Env:
    def __init__(self) -> None:
        self.events = _Events()


@pytest.fixture(scope="module")
def echo_address() -> Any:
    server, port = build_server("127.0.0.1", 0, threads=4)
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop(0)


def _call(address: str, expect: Expect, mirror: bool = False, name: str | None = None) -> dict[str, Any]:
    env = _Env()
    icpt = LocustInterceptor(env)
    icpt.mirror = mirror
    channel = grpc.intercept_channel(grpc.insecure_channel(address), icpt)
    icpt.pending = (name, expect)
    try:
        channel.unary_unary(FULL_METHOD)(b"x" * 123, timeout=5)
    except grpc.RpcError:
        pass
    finally:
        channel.close()
    assert len(env.events.fired) == 1
    return env.events.fired[0]


def test_answer_is_ok_with_method_name_and_size(echo_address: str) -> None:
    ev = _call(echo_address, Expect.answer())
    assert ev["name"] == "Echo" and ev["context"]["outcome"] == "ok" and ev["exception"] is None
    assert ev["response_length"] == 123 and ev["response_time"] > 0


def test_an_answer_where_a_refusal_was_expected_is_an_error(echo_address: str) -> None:
    ev = _call(echo_address, Expect.refused(), name="VerifyQr")
    assert ev["name"] == "VerifyQr" and ev["context"]["outcome"] == "error"
    assert "accepted" in str(ev["exception"])


def test_echo_baseline_mirrors_the_expected_outcome(echo_address: str) -> None:
    ev = _call(echo_address, Expect.refused(), mirror=True)
    assert ev["context"]["outcome"] == "refused" and ev["exception"] is None


def test_unreachable_target_is_an_error_even_when_a_refusal_was_expected() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ev = _call(f"127.0.0.1:{port}", Expect.refused())
    assert ev["context"]["outcome"] == "error" and "UNAVAILABLE" in str(ev["exception"])


def test_node_refusal_carries_the_nodes_error_code(tmp_path: Any) -> None:
    from reference_node.client import SigningInterceptor
    from reference_node.proto.ehc.node.v1 import verification_pb2, verification_pb2_grpc
    from reference_node.testing import start_node

    node = start_node(tmp_path)
    try:
        for expect, outcome in ((Expect.refused(), "refused"), (Expect.answer(), "error")):
            env = _Env()
            icpt = LocustInterceptor(env)
            channel = grpc.intercept_channel(
                grpc.insecure_channel(node.target), icpt, SigningInterceptor(node.credentials)
            )
            stub = verification_pb2_grpc.VerificationServiceStub(channel)
            ctx = node.client().context(use_city="370800", channel="0100", medical_step="010101")
            icpt.pending = (None, expect)
            with pytest.raises(grpc.RpcError):
                stub.VerifyQr(
                    verification_pb2.VerifyQrRequest(qr_text="0" * 64 + ":1", context=ctx), timeout=10
                )
            channel.close()
            ev = env.events.fired[0]
            assert ev["name"] == "VerifyQr" and ev["context"]["outcome"] == outcome
            assert ev["context"]["error_code"]  # the node's stable code from trailing metadata
    finally:
        node.stop()


def test_echo_baseline_requests_are_signed_like_node_calls() -> None:
    """Raw-bytes requests (echo baseline) carry a valid x-ehc-* signature over those bytes."""
    from ehc.gm import hmac_sm3, sm3
    from load_tests.auth import signing_interceptors
    from reference_node.auth import string_to_sign

    secret = bytes(range(32))  # TEST-ONLY
    (signer,) = signing_interceptors({"terminal_id": "LT00000010001", "secret_hex": secret.hex()})
    seen: dict[str, Any] = {}

    def continuation(details: Any, request: bytes) -> str:
        seen.update(dict(details.metadata), method=details.method)
        return "sent"

    details = grpc.ClientCallDetails()
    details.method, details.timeout, details.metadata, details.credentials = FULL_METHOD, 5, None, None
    assert signer.intercept_unary_unary(continuation, details, b"payload") == "sent"
    expected = hmac_sm3(
        secret,
        string_to_sign(FULL_METHOD, seen["x-ehc-timestamp"], seen["x-ehc-nonce"], sm3(b"payload").hex()),
    ).hex()
    assert seen["x-ehc-terminal"] == "LT00000010001" and seen["x-ehc-signature"] == expected
