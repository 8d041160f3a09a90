"""A hospital HIS calling a platform through the Tencent HealthCardOpenAPI envelope (FastHttpUser).

Every call is a signed envelope built here (``reference_node.platforms.tencent_envelope``: the
SHA-256 sign over commonIn ∪ req plus the app secret), so the client-side work is the same against
the platform and against the HTTP echo. The app token is fetched once before the run (a new token
supersedes the app's previous one, so users must not each fetch their own). ``resultCode`` 0 is
success; any other code is an error (this scenario presents only valid codes).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from typing import Any, ClassVar

from locust import task
from locust.contrib.fasthttp import FastHttpUser

from load_tests.actors import think
from load_tests.context import current
from load_tests.grpc_user import UnexpectedOutcome
from reference_node.platforms.tencent_envelope import OPERATION_PREFIX, envelope

__all__ = ["TencentHis", "TencentVerifier", "TencentReporter", "TencentOutpatient"]

_SCENES = ("0101012", "0101019", "0101029", "0101051")


class TencentHis(FastHttpUser):
    abstract = True
    wait_time = think(0.2, 1.0)
    channel: ClassVar[str] = "0100"

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.ctx = current()
        self.app: dict[str, Any] = self.ctx.dataset["app"]
        self.persons: list[dict[str, Any]] = self.ctx.dataset["persons"]

    def call(self, operation: str, req: dict[str, Any]) -> dict[str, Any] | None:
        body = envelope(
            req,
            app_secret=self.app["app_secret"],
            app_token=self.app["token"],
            request_id=uuid.uuid4().hex.upper(),
            hospital_id=self.app["hospital_id"],
            timestamp=int(time.time()),
        )
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"}
        # locust hands data to geventhttpclient, which sends bytes as they are; its hint says str
        with self.client.post(
            OPERATION_PREFIX + operation,
            data=data,  # type: ignore[arg-type]
            headers=headers,
            name=operation,
            catch_response=True,
        ) as resp:
            meta = resp.request_meta.setdefault("context", {})
            try:
                doc = resp.json() if resp.content else {}
                common = doc.get("commonOut", {})
            except (ValueError, AttributeError):
                doc, common = {}, {}
            code = common.get("resultCode") if isinstance(common, dict) else None
            if resp.status_code == 200 and code == 0:
                meta["outcome"] = "ok"
                resp.success()
                return doc
            meta["outcome"], meta["error_code"] = "error", str(code)
            msg = str(common.get("errMsg", ""))[:80] if isinstance(common, dict) else ""
            resp.failure(UnexpectedOutcome(f"HTTP {resp.status_code} resultCode {code} {msg}".strip()))
            return None

    @staticmethod
    def _now() -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 8 * 3600))  # China time

    def verify(self, person: dict[str, Any]) -> dict[str, Any] | None:
        self.ctx.presented.add(person["ehcid"])
        return self.call(
            "verifyQRCode",
            {"qrCodeText": person["static_qr"], "terminalId": "LT-SCANNER-01", "medicalStep": "010101",
             "channelCode": self.channel, "time": self._now()},
        )  # fmt: skip

    def report(self, person: dict[str, Any]) -> dict[str, Any] | None:
        self.ctx.presented.add(person["ehcid"])
        return self.call(
            "reportHISData",
            {"qrCodeText": person["static_qr"], "time": self._now(), "scene": random.choice(_SCENES),
             "cardType": "11", "cardChannel": self.channel, "cardCostTypes": "0100"},
        )  # fmt: skip


class TencentVerifier(TencentHis):
    """verify-only over the envelope: verifyQRCode of static codes drawn uniformly from everyone."""

    abstract = True

    @task
    def scan(self) -> None:
        self.verify(random.choice(self.persons))


class TencentReporter(TencentHis):
    """report-only over the envelope: reportHISData of residents drawn uniformly."""

    abstract = True

    @task
    def upload(self) -> None:
        self.report(random.choice(self.persons))


class TencentOutpatient(TencentHis):
    """The outpatient mix over the envelope: verify a code, then report its use."""

    abstract = True

    @task
    def serve(self) -> None:
        person = random.choice(self.persons)
        if self.verify(person) is not None:
            self.report(person)
