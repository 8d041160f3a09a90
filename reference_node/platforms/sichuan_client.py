"""A client of the Sichuan (Mianyang) envelope (httpx), as a hospital's HIS calls the platform.

Signs each request (MD5 digest over the encrypted ``bizContent``), checks the digest of every
signed answer and decrypts its ``bizContent``. Used by the kit's tests.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from typing import Any

import httpx

from .sichuan_envelope import DEFAULT_AES_MODE, PATH, aes_key, decrypt_biz, digest, envelope, md5_key


class AnswerNotAuthentic(Exception):
    """The answer's digest does not verify with the app's MD5Key."""


class SichuanClient:
    def __init__(
        self,
        base_url: str,
        app_id: str,
        secret: bytes,
        *,
        aes_mode: str = DEFAULT_AES_MODE,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
        self.app_id = app_id
        self.secret = bytes(secret)
        self.aes_mode = aes_mode
        self.clock = clock

    def body(self, method: str, content: dict[str, Any]) -> dict[str, Any]:
        """A signed envelope (for tests that then alter it)."""
        return envelope(
            method,
            content,
            app_id=self.app_id,
            secret=self.secret,
            timestamp_ms=int(self.clock() * 1000),
            mode=self.aes_mode,
        )

    def post(self, body: dict[str, Any] | bytes) -> dict[str, Any]:
        """The answer envelope as received (``bizContent`` still encrypted)."""
        if isinstance(body, bytes):
            answer = self.http.post(PATH, content=body, headers={"Content-Type": "application/json"})
        else:
            answer = self.http.post(PATH, json=body)
        answer.raise_for_status()
        return answer.json()

    def open(self, answer: dict[str, Any]) -> dict[str, Any]:
        """Check the answer's digest (when signed) and decrypt ``bizContent`` into ``biz``."""
        if answer.get("digest"):
            expected = digest(answer, md5_key(self.secret))
            if not hmac.compare_digest(answer["digest"], expected):
                raise AnswerNotAuthentic("the answer's digest does not verify")
        out = dict(answer)
        if answer.get("bizContent"):
            out["biz"] = decrypt_biz(aes_key(self.secret), answer["bizContent"], self.aes_mode)
        return out

    def call(self, method: str, content: dict[str, Any]) -> dict[str, Any]:
        return self.open(self.post(self.body(method, content)))

    def close(self) -> None:
        self.http.close()


__all__ = ["SichuanClient", "AnswerNotAuthentic"]
