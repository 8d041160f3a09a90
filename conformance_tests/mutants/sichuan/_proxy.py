"""Base of the ``node-sichuan`` mutants: a real HTTP server in front of the reference node's Sichuan
front door that behaves, as seen from outside, like a platform written carelessly from the
Mianyang interface document.

A mutant platform owns the app's MD5Key and AES key, as any platform does, so it can accept what it
should refuse (sign a request again after a check it skipped, decrypt and change ``bizContent``) or
answer what it should not (a plain ``bizContent``, code 0000 on a failure). The reference node
behind it runs unchanged. The HTTP plumbing is shared with the Tencent mutants
(``mutants._envelope_platform``).
"""

from __future__ import annotations

from typing import Any

from reference_node.platforms.sichuan_envelope import PATH, aes_key, decrypt_biz, digest, encrypt_biz, md5_key

from ...adapters.sichuan import SichuanPlatform, reference_aes_mode, start_reference_platform
from .._envelope_platform import EnvelopePlatform


class ProxyPlatform(EnvelopePlatform):
    """Subclass and override ``rewrite_request`` / ``rewrite_response``."""

    role = "node-sichuan"

    def __init__(self, upstream: str, secret: bytes, aes_mode: str) -> None:
        super().__init__(upstream)
        self.md5_key = md5_key(secret)
        self.aes_key = aes_key(secret)
        self.aes_mode = aes_mode

    # ------------------------------------------------------------------ hooks
    def rewrite_request(self, body: dict[str, Any]) -> dict[str, Any]:
        return body

    def rewrite_response(self, body: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        return out

    # ------------------------------------------------------------------ helpers for mutants
    def resign(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """What a platform that 'fixes up' an envelope does: sign it again with the app's key."""
        envelope["digest"] = digest(envelope, self.md5_key)
        return envelope

    def content(self, envelope: dict[str, Any]) -> dict[str, Any] | None:
        try:
            return decrypt_biz(self.aes_key, str(envelope.get("bizContent", "")), self.aes_mode)
        except ValueError:
            return None

    def with_content(self, envelope: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        envelope["bizContent"] = encrypt_biz(self.aes_key, content, self.aes_mode)
        return self.resign(envelope)

    # ------------------------------------------------------------------ the Sichuan envelope
    def upstream_path(self, path: str) -> str:
        return PATH  # one endpoint: the operation is the envelope's ``method``

    def on_request(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.rewrite_request(body)

    def on_response(self, path: str, body: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        return self.rewrite_response(body, out)

    @classmethod
    def start_reference(cls, run: Any) -> tuple[Any, Any, str]:
        return start_reference_platform(run)

    @classmethod
    def create(cls, upstream: str, credentials: Any) -> ProxyPlatform:
        return cls(upstream, bytes(credentials.secret), reference_aes_mode())

    def adapter(self, run: Any, base_url: str, credentials: Any) -> SichuanPlatform:
        return SichuanPlatform(run, base_url, credentials.terminal_id, credentials.secret, self.aes_mode)
