"""The node operations actors perform, over ``ehc.node.v1`` stubs or — for the baseline — echo.

In ``echo`` mode each operation builds the *same* protobuf request, serialises it and sends the
bytes to the echo service under the operation's name, so the client-side work (building,
serialising, signing, Locust bookkeeping) is identical and only the server differs. The echo
server cannot refuse, so in echo mode an answer counts as whatever outcome the actor expected:
the baseline measures the transport, not correctness.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import grpc

from load_tests.echo import FULL_METHOD
from load_tests.grpc_user import CallResult, Expect, GrpcUser, UnexpectedOutcome
from load_tests.messages import china_time, register_request
from reference_node.proto.ehc.node.v1 import (
    common_pb2,
    issuance_pb2,
    issuance_pb2_grpc,
    usage_pb2,
    usage_pb2_grpc,
    verification_pb2,
    verification_pb2_grpc,
)

__all__ = ["NodeCalls"]


class NodeCalls:
    """One user's view of the node: each method is one recorded request."""

    def __init__(self, user: GrpcUser, mode: str) -> None:
        self.user = user
        self.mode = mode
        if mode == "echo":
            self._echo: grpc.UnaryUnaryMultiCallable[bytes, bytes] = user.channel.unary_unary(FULL_METHOD)
        else:
            self.verification = verification_pb2_grpc.VerificationServiceStub(user.channel)
            self.issuance = issuance_pb2_grpc.IssuanceServiceStub(user.channel)
            self.usage = usage_pb2_grpc.UsageServiceStub(user.channel)

    def _unary(self, name: str, stub_method: Any, request: Any, expect: Expect) -> CallResult:
        if self.mode == "echo":
            self.user.interceptor.mirror = True
            return self.user.call(self._echo, request.SerializeToString(), name=name, expect=expect)
        return self.user.call(stub_method, request, name=name, expect=expect)

    # --- verification ------------------------------------------------------------------------
    def verify_qr(self, qr_text: str, ctx: Any, expect: Expect) -> CallResult:
        req = verification_pb2.VerifyQrRequest(qr_text=qr_text, context=ctx)
        return self._unary(
            "VerifyQr", getattr(self, "verification", None) and self.verification.VerifyQr, req, expect
        )

    def verify_card(self, card_number: str, atr: str, ctx: Any, expect: Expect) -> CallResult:
        req = verification_pb2.VerifyChipCardRequest(card_number=card_number, atr=atr, context=ctx)
        stub = getattr(self, "verification", None)
        return self._unary("VerifyChipCard", stub and stub.VerifyChipCard, req, expect)

    # --- issuance ----------------------------------------------------------------------------
    def register(self, person: Any, mode: str, ctx: Any) -> CallResult:
        req = register_request(person, mode, ctx)
        stub = getattr(self, "issuance", None)
        return self._unary("Register", stub and stub.Register, req, Expect.answer())

    def get_qr(
        self, ehcid: str, dynamic: bool, ctx: Any, lifetime_s: int = 0, max_verifications: int = 0
    ) -> CallResult:
        req = issuance_pb2.GetQrCodeRequest(
            ehcid=ehcid,
            code_type=common_pb2.CODE_TYPE_DYNAMIC if dynamic else common_pb2.CODE_TYPE_STATIC,
            lifetime_seconds=lifetime_s,
            max_verifications=max_verifications,
            context=ctx,
        )
        stub = getattr(self, "issuance", None)
        return self._unary("GetQrCode", stub and stub.GetQrCode, req, Expect.answer())

    def register_batch(self, persons: list[Any], ctx: Any) -> tuple[int, int]:
        """Stream one batch (mode 4); one recorded request for the whole batch. Returns (ok, rejected)."""
        reqs = [register_request(p, "4", ctx) for p in persons]
        if self.mode == "echo":  # one unary echo of the whole batch, recorded by the interceptor
            payload = b"".join(r.SerializeToString() for r in reqs)
            self.user.interceptor.mirror = True
            result = self.user.call(self._echo, payload, name="RegisterBatch")
            return (len(reqs), 0) if result.outcome == "ok" else (0, len(reqs))
        env = self.user.environment
        started, t0 = time.time(), time.perf_counter()
        ok = rejected = 0
        exc: Exception | None = None
        length = 0
        try:
            stream = self.issuance.RegisterBatch(iter(reqs), timeout=self.user.call_timeout_s * 6)
            for result in stream:
                length += result.ByteSize()
                for item in result.items:
                    if item.ok:
                        ok += 1
                    else:
                        rejected += 1
            if ok + rejected != len(reqs):
                exc = UnexpectedOutcome(f"batch answered {ok + rejected} of {len(reqs)} records")
            elif rejected:
                exc = UnexpectedOutcome(f"{rejected} valid records rejected")
        except Exception as err:  # grpc.RpcError and stream failures alike: one failed batch
            exc = UnexpectedOutcome(f"{type(err).__name__}: {getattr(err, 'code', lambda: '')()}")
        env.events.request.fire(
            request_type="grpc",
            name="RegisterBatch",
            response_time=(time.perf_counter() - t0) * 1000.0,
            response_length=length,
            context={"outcome": "error" if exc else "ok", "records": len(reqs)},
            exception=exc,
            start_time=started,
        )
        return ok, rejected

    # --- usage -------------------------------------------------------------------------------
    def report_usage(
        self,
        terminal: dict[str, Any],
        *,
        scene: str,
        step: str,
        card_type: str,
        ehcid: str = "",
        card_number: str = "",
        visit_type: str = "O",
        payment_category: str = "0200",
    ) -> CallResult:
        req = usage_pb2.UsageRecord(
            request_id=uuid.uuid4().hex,
            time=china_time(),
            org_code=terminal["org_code"],
            org_name=terminal.get("org_name", ""),
            use_city=terminal.get("use_city", ""),
            scene=scene,
            medical_step=step,
            department=terminal.get("department", ""),
            card_type=card_type,
            channel=terminal.get("channel", ""),
            payment_category=payment_category,
            visit_type=visit_type,
            ehcid=ehcid,
            card_number=card_number,
            terminal_id=terminal["terminal_id"],
        )
        stub = getattr(self, "usage", None)
        return self._unary("Report", stub and stub.Report, req, Expect.answer())
