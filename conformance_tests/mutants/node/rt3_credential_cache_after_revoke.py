"""A vendor whose authentication layer caches terminal credentials for 60 s and is not told when
the operator revokes or rotates one: for a minute after RevokeCredential (or after a new secret
is issued) the old secret still signs, and the vendor runs the call with its service account in
the terminal's name. (It learns the secrets from the IssueCredential answers it relays.)"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from ehc.gm import hmac_sm3, sm3
from reference_node.auth import H_NONCE, H_SIGNATURE, H_TERMINAL, H_TIMESTAMP, string_to_sign

from ._proxy import Call, VendorNode

TTL_S = 60.0


class CredentialCacheAfterRevoke(VendorNode):
    mutant_name = "rt3-credential-cache-after-revoke"
    description = (
        "revoked or rotated terminal credentials keep signing for 60 s (credential cache not invalidated)"
    )
    defect_class = "authentication: revocation not applied at once"
    catches = ("SEC-013",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cached: dict[str, list[tuple[float, bytes]]] = {}  # terminal -> (cached at, secret)
        self.revoked: set[str] = set()

    def _remember(self, terminal_id: str, secret: bytes) -> None:
        with self.lock:
            self.cached.setdefault(terminal_id, []).append((time.monotonic(), secret))

    def on_request(self, call: Call) -> None:
        headers = {k: v for k, v in call.metadata if isinstance(v, str)}
        tid = headers.get(H_TERMINAL, "")
        with self.lock:
            entries = [s for t, s in self.cached.get(tid, []) if time.monotonic() - t < TTL_S]
        ts, nonce, sig = headers.get(H_TIMESTAMP, ""), headers.get(H_NONCE, ""), headers.get(H_SIGNATURE, "")
        digest = sm3(call.raw).hex()
        for secret in entries:
            if hmac_sm3(secret, string_to_sign(call.method, ts, nonce, digest)).hex() == sig.lower():
                current = self.by_terminal.get(tid)
                if current is None or current.secret != secret or tid in self.revoked:
                    call.sign_as = self.admin  # a cached, stale credential: the vendor vouches for it
                return

    def on_response(self, call: Call, response: Any) -> Any:
        if call.name == "IssueCredential" and response.secret_hex:
            tid = response.terminal_id or call.request.terminal_id
            secret = bytes.fromhex(response.secret_hex)
            self._remember(tid, secret)
            with self.lock:
                self.by_terminal[tid] = replace(self.identities["terminal"], terminal_id=tid, secret=secret)
                self.revoked.discard(tid)
        elif call.name == "RevokeCredential":
            with self.lock:
                self.revoked.add(call.request.terminal_id)
        return response


MUTANT = CredentialCacheAfterRevoke
