"""A Jining vendor whose 检测备案 check lives in its core's gRPC interceptor only. Its Sichuan
gateway checks an app's digest, then calls the core under the gateway's service account and signs
the answer for the app: the interceptor sees the certified service account, never the app, so an
app without a certification report is served through the envelope while it is refused on
ehc.node.v1."""

from __future__ import annotations

from typing import Any

from reference_node.platforms.sichuan_envelope import aes_key, decrypt_biz, digest, encrypt_biz, md5_key

from ...adapters.sichuan import reference_aes_mode
from .._envelope_platform import stored_secret
from ._proxy import ProxyPlatform


class CertOnGrpcOnly(ProxyPlatform):
    mutant_name = "cert-grpc-only"
    description = "检测备案 enforced in the gRPC interceptor only: the gateway serves an uncertified app under its service account"
    defect_class = "province rule (Jining 检测备案) enforced on one door only"
    catches = ("NODE-CERT-001",)
    profile = "shandong-jining"

    service_app = ""
    running: Any = None  # the vendor's node: its own app table
    pending: dict[str, str]  # digest of a rewritten envelope -> the app that sent it

    @classmethod
    def start_reference(cls, run: Any) -> tuple[Any, Any, str]:
        running, tmp, url = super().start_reference(run)
        cls.running = running
        return running, tmp, url

    @classmethod
    def create(cls, upstream: str, credentials: Any) -> ProxyPlatform:
        platform = cls(upstream, bytes(credentials.secret), reference_aes_mode())
        platform.service_app = credentials.terminal_id
        platform.pending = {}
        return platform

    def _secret(self, app_id: str) -> bytes | None:
        """The app's secret from the vendor's app table (its node's credential store)."""
        return stored_secret(self.running, app_id)

    def rewrite_request(self, body: dict[str, Any]) -> dict[str, Any]:
        app = str(body.get("appId", ""))
        secret = self._secret(app) if app and app != self.service_app else None
        if secret is None:
            return body
        # the app's digest "was checked" at the gateway; the core sees the service account
        content = decrypt_biz(aes_key(secret), str(body.get("bizContent", "")), self.aes_mode)
        body["appId"] = self.service_app
        body = self.with_content(body, content)
        self.pending[str(body["digest"])] = app  # whose answer it is
        return body

    def rewrite_response(self, body: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        app = self.pending.pop(str(body.get("digest")), None)
        if not app or not out.get("bizContent"):
            return out
        secret = self._secret(str(app))
        assert secret is not None
        content = self.content(out) or {}
        out["bizContent"] = encrypt_biz(aes_key(secret), content, self.aes_mode)
        if out.get("digest"):
            out["digest"] = digest(out, md5_key(secret))
        return out


MUTANT = CertOnGrpcOnly
