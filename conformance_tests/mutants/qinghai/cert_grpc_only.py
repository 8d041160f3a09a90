"""A Jining vendor whose 检测备案 check lives in its core's gRPC interceptor only. Its Qinghai SOAP
door checks userName/userPwd against its own terminal table, then calls the core under the door's
service account: the interceptor sees the certified service account, never the terminal, so a
terminal without a certification report is served through the envelope while it is refused on
ehc.node.v1."""

from __future__ import annotations

from reference_node.platforms.qinghai_envelope import user_pwd

from .._envelope_platform import stored_secret
from ._proxy import ProxyPlatform


class CertOnGrpcOnly(ProxyPlatform):
    mutant_name = "cert-grpc-only"
    description = "检测备案 enforced in the gRPC interceptor only: the SOAP door serves an uncertified terminal under its service account"
    defect_class = "province rule (Jining 检测备案) enforced on one door only"
    catches = ("NODE-CERT-001",)
    profile = "shandong-jining"

    def _password(self, user: str) -> str | None:
        """The terminal's userPwd from the vendor's terminal table (its node's credential store)."""
        secret = stored_secret(self.running, user)
        return None if secret is None else user_pwd(secret)

    def rewrite_call(self, action, message):
        user = action.get("userName") or ""
        if user and user != self.user_name and action.get("userPwd") == self._password(user):
            # the door checked the terminal's password; the core sees the service account
            action["userName"], action["userPwd"] = self.user_name, self.password
        return action, message


MUTANT = CertOnGrpcOnly
