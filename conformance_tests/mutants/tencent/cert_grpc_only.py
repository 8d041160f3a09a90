"""A Jining vendor whose 检测备案 check lives in its core's gRPC interceptor only. Its Tencent front
door checks an app's sign, then calls the core under the front door's own service account (one
long-lived session, the app's token mapped onto it): the interceptor sees the certified service
account, never the app, so an app without a certification report is served through the envelope
while the same terminal is refused on ehc.node.v1."""

from __future__ import annotations

from typing import Any

from ._proxy import ProxyPlatform


class CertOnGrpcOnly(ProxyPlatform):
    mutant_name = "cert-grpc-only"
    description = "检测备案 enforced in the gRPC interceptor only: the envelope serves an uncertified app under the front door's service account"
    defect_class = "province rule (Jining 检测备案) enforced on one door only"
    catches = ("NODE-CERT-001",)
    profile = "shandong-jining"

    service_app = ""
    app_tokens: set[str]  # tokens handed to other apps (each mapped onto the service session)
    app_requests: set[str]  # requestIds of their getAppToken calls

    @classmethod
    def create(cls, upstream: str, credentials: Any) -> CertOnGrpcOnly:
        platform = cls(upstream, credentials.secret.hex())
        platform.service_app = credentials.terminal_id
        platform.app_tokens, platform.app_requests = set(), set()
        return platform

    def rewrite_request(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        req, common = body.get("req", {}), body.get("commonIn", {})
        if path.endswith("/getAppToken") and req.get("appId") not in ("", None, self.service_app):
            # the app's sign was "checked" at the front door; the core sees the service account
            body["req"] = {**req, "appId": self.service_app}
            self.app_requests.add(str(common.get("requestId")))
            return self.resign(body)
        if common.get("appToken") in self.app_tokens:
            return self.resign(body)
        return body

    def rewrite_response(self, path: str, body: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        if str(body.get("commonIn", {}).get("requestId")) in self.app_requests:
            token = (out.get("rsp") or {}).get("appToken")
            if token:
                self.app_tokens.add(token)
        return out


MUTANT = CertOnGrpcOnly
