"""Base of the ``node-tencent`` mutants: a real HTTP server in front of the reference node's Tencent
front door that behaves, as seen from outside, like a platform written carelessly from the docs.

A mutant platform owns the app secret as any platform does, so it can accept what it should refuse
(re-sign a request it failed to check, swap an old token for the current one) or answer what it
should not (a zero resultCode on a failure). The reference node behind it runs unchanged. The HTTP
plumbing is shared with the Sichuan mutants (``mutants._envelope_platform``).
"""

from __future__ import annotations

from typing import Any

from reference_node.platforms.tencent_envelope import sign

from ...adapters.tencent import TencentPlatform, start_reference_platform
from .._envelope_platform import EnvelopePlatform


class ProxyPlatform(EnvelopePlatform):
    """Subclass and override ``rewrite_request`` / ``rewrite_response``."""

    role = "node-tencent"

    def __init__(self, upstream: str, app_secret: str) -> None:
        super().__init__(upstream)
        self.app_secret = app_secret

    # ------------------------------------------------------------------ hooks
    def rewrite_request(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return body

    def rewrite_response(self, path: str, body: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        return out

    def resign(self, body: dict[str, Any]) -> dict[str, Any]:
        """What a platform that 'fixes up' a request does: sign it again with the app secret."""
        common = body.get("commonIn", {})
        common["sign"] = sign(common, body.get("req", {}), self.app_secret)
        return body

    # ------------------------------------------------------------------ the Tencent envelope
    def accepts(self, body: Any) -> bool:
        return (
            isinstance(body, dict)
            and isinstance(body.get("commonIn"), dict)
            and isinstance(body.get("req", {}), dict)
        )

    def on_request(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.rewrite_request(path, body)

    def on_response(self, path: str, body: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        return self.rewrite_response(path, body, out)

    @classmethod
    def start_reference(cls, run: Any) -> tuple[Any, Any, str]:
        return start_reference_platform(run)

    @classmethod
    def create(cls, upstream: str, credentials: Any) -> ProxyPlatform:
        return cls(upstream, credentials.secret.hex())

    def adapter(self, run: Any, base_url: str, credentials: Any) -> TencentPlatform:
        c = credentials
        return TencentPlatform(run, base_url, c.terminal_id, c.secret.hex(), c.org_code)
