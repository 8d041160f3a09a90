"""A client of the Tencent envelope (httpx), as a hospital's HIS calls the open platform.

Used by the kit's own tests, the reference HIS in Tencent mode and the suites that certify a
platform through the envelope. It keeps one app token and fetches a new one when the platform says
the token is invalid or superseded (resultCode 10012 / 10013).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from .tencent_envelope import OPERATION_PREFIX, RESULT_CODES, TOKEN_PATH, envelope

_RENEW = {RESULT_CODES["TOKEN_INVALID"], RESULT_CODES["TOKEN_SUPERSEDED"]}


class TencentClient:
    def __init__(
        self,
        base_url: str,
        app_id: str,
        app_secret: str,
        hospital_id: str,
        *,
        channel_num: int = 0,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
        self.app_id = app_id
        self.app_secret = app_secret
        self.hospital_id = hospital_id
        self.channel_num = channel_num
        self.clock = clock
        self.app_token = ""

    def body(
        self, req: dict[str, Any], *, token: str | None = None, request_id: str | None = None
    ) -> dict[str, Any]:
        """A signed envelope (for tests that then alter it)."""
        return envelope(
            req,
            app_secret=self.app_secret,
            app_token=self.app_token if token is None else token,
            request_id=request_id or uuid.uuid4().hex.upper(),
            hospital_id=self.hospital_id,
            timestamp=int(self.clock()),
            channel_num=self.channel_num,
        )

    def post(self, path: str, body: dict[str, Any] | bytes) -> dict[str, Any]:
        if isinstance(body, bytes):
            answer = self.http.post(path, content=body, headers={"Content-Type": "application/json"})
        else:
            answer = self.http.post(path, json=body)
        answer.raise_for_status()
        return answer.json()

    def get_app_token(self) -> dict[str, Any]:
        out = self.post(TOKEN_PATH, self.body({"appId": self.app_id}, token=""))
        if out["commonOut"]["resultCode"] == 0:
            self.app_token = out["rsp"]["appToken"]
        return out

    def call(self, operation: str, req: dict[str, Any], *, request_id: str | None = None) -> dict[str, Any]:
        """``{"commonOut": …, "rsp": …}`` of one operation; renews the token once if needed."""
        if not self.app_token:
            self.get_app_token()
        out = self.post(OPERATION_PREFIX + operation, self.body(req, request_id=request_id))
        if out["commonOut"]["resultCode"] in _RENEW:
            self.get_app_token()
            out = self.post(OPERATION_PREFIX + operation, self.body(req, request_id=request_id))
        return out

    def close(self) -> None:
        self.http.close()


__all__ = ["TencentClient"]
