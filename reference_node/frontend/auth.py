"""Terminals authenticate to the front-end with the node's scheme (``reference_node.auth``:
x-ehc-* metadata, HMAC-SM3 over method, timestamp, nonce and SM3 of the request bytes), against the
front-end's own credential table. Same checks, same error codes, as the node."""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import secrets
import time
from collections.abc import Mapping
from pathlib import Path

from ehc.errors import EhcError
from ehc.gm import hmac_sm3, sm3
from reference_node.auth import (
    EMPTY_DIGEST,
    FRONTEND_TYPE,
    H_NONCE,
    H_SIGNATURE,
    H_TERMINAL,
    H_TIMESTAMP,
    NonceCache,
    string_to_sign,
)
from reference_node.client import Credentials, NodeClient
from reference_node.errors import (
    AUTH_BAD_SIGNATURE,
    AUTH_CREDENTIAL_REVOKED,
    AUTH_MISSING,
    AUTH_REPLAYED_NONCE,
    AUTH_STALE_TIMESTAMP,
    RATE_LIMITED,
)
from reference_node.frontend.store import FrontendStore
from reference_node.observability import Throttled
from reference_node.ratelimit import TokenBuckets

_NONCE = re.compile(r"[A-Za-z0-9_\-]{16,64}")
_TERMINAL = re.compile(r"[A-Za-z0-9_.:\-]{1,32}")
_SIGNATURE = re.compile(r"[0-9A-Fa-f]{64}")
# like the node (REL-F19): an unknown terminal is answered as a wrong signature, after the same
# HMAC work with this stand-in secret, so a caller cannot enumerate terminal ids; the log tells them apart
_STAND_IN_SECRET = bytes(32)


def new_secret() -> bytes:
    return secrets.token_bytes(32)


class FrontendAuthenticator:
    """Checks a call's x-ehc-* metadata; returns the real terminal id."""

    def __init__(
        self,
        store: FrontendStore,
        replay_window_s: int = 300,
        max_nonces: int = 1_000_000,
        *,
        rate_per_s: float = 0.0,
        burst: int = 100,
    ) -> None:
        self.store = store
        self.window_ms = replay_window_s * 1000
        self.nonces = NonceCache(replay_window_s, max_nonces)
        # per local terminal: upstream every terminal shares the hospital credential's call budget,
        # so one runaway kiosk must not use it up for the others
        self.rates = TokenBuckets(rate_per_s, burst)
        self.unknown_terminal = Throttled(
            "front-end auth refused: unknown terminal (answered as NODE_AUTH_BAD_SIGNATURE)",
            level=logging.INFO,
        )
        self.bad_signature = Throttled(
            "front-end auth refused: signature does not verify", level=logging.INFO
        )

    def authenticate(self, method: str, headers: Mapping[str, str], body: bytes | None) -> str:
        terminal = headers.get(H_TERMINAL, "")
        ts = headers.get(H_TIMESTAMP, "")
        nonce = headers.get(H_NONCE, "")
        signature = headers.get(H_SIGNATURE, "")
        if not (terminal and ts and nonce and signature):
            raise EhcError(AUTH_MISSING)
        if (
            not _TERMINAL.fullmatch(terminal)
            or not _NONCE.fullmatch(nonce)
            or not (ts.isascii() and ts.isdigit())
            or len(ts) > 16
        ):
            raise EhcError(AUTH_MISSING, "x-ehc-* metadata malformed")
        cred = self.store.credential(terminal)
        secret, revoked = (_STAND_IN_SECRET, False) if cred is None else cred
        digest = EMPTY_DIGEST if body is None else sm3(body).hex()
        expected = hmac_sm3(secret, string_to_sign(method, ts, nonce, digest)).hex()
        good = _SIGNATURE.fullmatch(signature) is not None and hmac.compare_digest(
            expected, signature.lower()
        )
        if cred is None or not good:
            (self.unknown_terminal if cred is None else self.bad_signature).hit(
                terminal=terminal, method=method
            )
            raise EhcError(AUTH_BAD_SIGNATURE)
        if revoked:
            raise EhcError(AUTH_CREDENTIAL_REVOKED)
        now_ms = time.time() * 1000
        if abs(now_ms - int(ts)) > self.window_ms:
            raise EhcError(AUTH_STALE_TIMESTAMP, window_s=self.window_ms // 1000)
        if not self.nonces.check_and_add(f"{terminal}|{nonce}", now_ms / 1000):
            raise EhcError(AUTH_REPLAYED_NONCE)
        wait = self.rates.take(terminal)
        if wait:
            raise EhcError(
                RATE_LIMITED,
                f"over {self.rates.rate:g} calls/s (burst {self.rates.burst:g}) at the front-end; retry in {wait:.3f} s",
                retry_after_s=round(wait, 3),
            )
        return terminal


def issue_terminal(
    store: FrontendStore, terminal_id: str, hospital: Credentials, department: str = ""
) -> Credentials:
    """Register a local terminal of the hospital (an existing, unrevoked one keeps its secret);
    its credentials, secret included (for the terminal's client file). The context values come from the
    hospital's credential: a terminal of the front-end belongs to the hospital's organisation."""
    if not _TERMINAL.fullmatch(terminal_id):
        raise EhcError(AUTH_MISSING, "terminal id must be 1..32 characters [A-Za-z0-9_.:-]")
    known = store.credential(terminal_id)
    if known is not None and not known[1]:
        secret = known[0]  # idempotent: a restart with the same --add-terminal keeps the key
    else:
        secret = new_secret()
        store.add_terminal(terminal_id, secret)
    return Credentials(
        terminal_id, secret, hospital.org_code, hospital.org_name, hospital.use_city,
        hospital.channel, hospital.medical_step, department or hospital.department,
    )  # fmt: skip


def write_client_file(
    path: str | os.PathLike[str],
    target: str,
    credentials: Credentials,
    note: str = "terminal of a hospital front-end server",
) -> Path:
    """A client file (the node's format, ``reference_node.client.load_client_file``) for a terminal
    of the front-end, mode 0600: terminals use it unchanged, only the address differs."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "target": target,
        "note": note,
        "terminal": credentials.to_dict(),
    }
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1)
    return out


def enrol_at_node(
    admin: NodeClient, terminal_id: str, org_code: str, *, certified: bool = False
) -> Credentials:
    """Register the front-end at the node as a terminal of the hospital's organisation (terminal
    type 98 = front-end server, role terminal) and issue its credential, through the node's RegistryService with the
    operator's (admin) credential. The context values come from the organisation's record."""
    from reference_node.proto.ehc.node.v1 import registry_pb2 as rp

    org = admin.registry.GetOrganisation(rp.GetOrganisationRequest(code=org_code))
    status = rp.CERTIFICATION_STATUS_CERTIFIED if certified else rp.CERTIFICATION_STATUS_PENDING
    admin.registry.UpsertTerminal(
        rp.Terminal(
            terminal_id=terminal_id, org_code=org_code, terminal_type=FRONTEND_TYPE, certification_status=status,
            role=rp.TERMINAL_ROLE_TERMINAL, description="hospital front-end server (ehc node frontend)",
        )
    )  # fmt: skip
    secret = admin.registry.IssueCredential(rp.IssueCredentialRequest(terminal_id=terminal_id)).secret_hex
    return Credentials(terminal_id, bytes.fromhex(secret), org_code, org.name, org.area_code)
