"""Call signing for node targets: the reference node's HMAC-SM3 client interceptor, when present.

The signing interceptor sits inside the timing one, so its cost is measured like any real
terminal's. Echo targets and terminals without a secret send unsigned calls.
"""

from __future__ import annotations

from typing import Any

__all__ = ["signing_interceptors"]


def signing_interceptors(terminal: dict[str, Any]) -> list[Any]:
    secret = terminal.get("secret_hex")
    if not secret:
        return []
    from reference_node.client import Credentials, SigningInterceptor

    creds = Credentials(
        terminal_id=terminal["terminal_id"], secret=bytes.fromhex(secret), org_code=terminal["org_code"]
    )
    return [SigningInterceptor(creds)]
