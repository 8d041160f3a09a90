"""A point-of-care terminal that talks to the node's REST gateway (JSON mirror of ehc.node.v1).

Many HIS integrate over HTTP rather than gRPC. This actor uses Locust's FastHttpUser, signs each
call like the gRPC interceptor does (HMAC-SM3 over ``POST <path>`` and the raw body), presents the
same code mix as the gRPC terminals and reports each successful use. A 4xx answer carrying the
node's error code to an invalid code is an expected refusal, not an error.
"""

from __future__ import annotations

import random
from typing import Any, ClassVar

from google.protobuf import json_format
from google.protobuf.message import Message
from locust import task
from locust.contrib.fasthttp import FastHttpUser

from load_tests.actors import CARD_ATR, CODE_MIX, INVALID_KINDS, step_of, think
from load_tests.context import current
from load_tests.grpc_user import UnexpectedOutcome
from load_tests.messages import china_time, terminal_context
from reference_node.proto.ehc.node.v1 import usage_pb2, verification_pb2

__all__ = ["RestTerminal"]


class RestTerminal(FastHttpUser):
    """Window/kiosk terminal over HTTP: verify a code or card, then report the use."""

    abstract = True
    role: ClassVar[str] = "window"
    wait_time = think(2.0, 6.0)
    scenes: ClassVar[tuple[str, ...]] = ("0101012", "0101051")

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.ctx = current()
        terminals = [t for t in self.ctx.dataset["terminals"] if t.get("role") == self.role]
        self.terminal = random.choice(terminals or self.ctx.dataset["terminals"])

    def _post(
        self, path: str, name: str, message: Any, expect_refusal: bool = False, label: str = ""
    ) -> dict[str, Any] | None:
        body = json_format.MessageToJson(message, preserving_proto_field_name=True, indent=None).encode()
        headers = {"Content-Type": "application/json"}
        secret = self.terminal.get("secret_hex")
        if secret:
            from reference_node.auth import sign

            headers |= sign(
                bytes.fromhex(secret), f"POST {path}", body, terminal_id=self.terminal["terminal_id"]
            )
        # locust hands data to geventhttpclient, which sends bytes as they are; its hint says str
        with self.client.post(path, data=body, headers=headers, name=name, catch_response=True) as resp:  # type: ignore[arg-type]
            meta = resp.request_meta.setdefault("context", {})
            try:
                doc = resp.json() if resp.content else {}
            except ValueError:
                doc = {}
            code = doc.get("code", "") if isinstance(doc, dict) else ""
            if resp.status_code == 200:
                if expect_refusal:
                    meta["outcome"] = "error"
                    resp.failure(
                        UnexpectedOutcome(
                            f"invalid input accepted ({label})" if label else "invalid input accepted"
                        )
                    )
                    return None
                meta["outcome"] = "ok"
                resp.success()
                return doc
            if expect_refusal and 400 <= resp.status_code < 500 and code:
                meta["outcome"], meta["error_code"] = "refused", code
                resp.success()
                return None
            meta["outcome"] = "error"
            resp.failure(UnexpectedOutcome(f"HTTP {resp.status_code} {code}".strip()))
            return None

    def _invalid(self, kind: str) -> str:
        expired = self.ctx.dataset.get("expired_codes") or []
        if kind == "expired" and expired:
            return random.choice(expired)
        if kind == "malformed":
            return random.choice(self.ctx.dataset["persons"])["static_qr"][:-1] + "7"
        return "".join(random.choice("0123456789ABCDEF") for _ in range(64)) + ":1"

    @task
    def serve_patient(self) -> None:
        scene = random.choice(self.scenes)
        step = step_of(scene)
        ctx = terminal_context(self.terminal, step=step, scene=scene)
        mix = {k: self.ctx.share(f"mix.{k}", v) for k, v in CODE_MIX.items() if k != "dynamic"}
        kind = random.choices(list(mix), weights=list(mix.values()))[0]
        person = random.choice(self.ctx.dataset["persons"])
        req: Message
        if kind == "card":
            req = verification_pb2.VerifyChipCardRequest(
                card_number=person["card_number"], atr=CARD_ATR, context=ctx
            )
            answer = self._post("/v1/verify/chip", "POST /v1/verify/chip", req)
        elif kind in INVALID_KINDS:
            req = verification_pb2.VerifyQrRequest(qr_text=self._invalid(kind), context=ctx)
            answer = self._post("/v1/verify/qr", "POST /v1/verify/qr", req, expect_refusal=True, label=kind)
        else:
            req = verification_pb2.VerifyQrRequest(qr_text=person["static_qr"], context=ctx)
            answer = self._post("/v1/verify/qr", "POST /v1/verify/qr", req)
        if answer is None:
            return
        card = kind == "card"
        record = usage_pb2.UsageRecord(
            request_id=f"{self.terminal['terminal_id']}-{random.getrandbits(64):016x}",
            time=china_time(),
            org_code=self.terminal["org_code"],
            org_name=self.terminal.get("org_name", ""),
            use_city=self.terminal.get("use_city", ""),
            scene=scene,
            medical_step=step,
            department=self.terminal.get("department", ""),
            card_type="10" if card else "11",
            channel=self.terminal.get("channel", ""),
            payment_category="0200",
            visit_type="O",
            ehcid="" if card else person["ehcid"],
            card_number=person["card_number"] if card else "",
            terminal_id=self.terminal["terminal_id"],
        )
        self._post("/v1/usage", "POST /v1/usage", record)
