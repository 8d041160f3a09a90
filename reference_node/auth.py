"""Call authentication: every call from a terminal/HIS is signed with HMAC-SM3.

Metadata (gRPC) or headers (REST), all lower case:

    x-ehc-terminal   terminal id (the credential's owner)
    x-ehc-timestamp  Unix time in milliseconds, decimal
    x-ehc-nonce      16..64 characters [A-Za-z0-9_-], never reused within the replay window
    x-ehc-signature  hex(HMAC-SM3(secret, method "\n" timestamp "\n" nonce "\n" hex(SM3(body))))

``method`` is the full gRPC method (``/ehc.node.v1.VerificationService/VerifyQr``) or, for REST,
``<HTTP method> <path>`` (``POST /v1/verify/qr``). ``body`` is the serialized request message
(gRPC, exactly the bytes on the wire) or the raw HTTP body; streaming calls sign an empty body
(the signature authenticates the stream; use TLS for its content). The node refuses a call whose
timestamp is outside the replay window or whose nonce it has already seen in that window.
"""

from __future__ import annotations

import hmac
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ehc.errors import EhcError
from ehc.gm import HmacSm3, hmac_sm3, sm3
from reference_node import certificates
from reference_node.errors import (
    AUTH_BAD_SIGNATURE,
    AUTH_CREDENTIAL_REVOKED,
    AUTH_MISSING,
    AUTH_REPLAYED_NONCE,
    AUTH_STALE_TIMESTAMP,
    CONTEXT_MISMATCH,
    RATE_LIMITED,
    TERMINAL_NOT_CERTIFIED,
)
from reference_node.node import Caller, Node
from reference_node.observability import Throttled
from reference_node.ratelimit import TokenBuckets

H_TERMINAL, H_TIMESTAMP, H_NONCE, H_SIGNATURE = (
    "x-ehc-terminal",
    "x-ehc-timestamp",
    "x-ehc-nonce",
    "x-ehc-signature",
)
# H7: a hospital front-end (a terminal of type FRONTEND_TYPE) names the terminal it relays for; the
# node applies its terminal rule (检测备案, revocation, organisation) to that terminal too. Signed:
# a fifth line of the string to sign when present, so nobody on the path can change it.
H_ON_BEHALF_OF = "x-ehc-on-behalf-of"
FRONTEND_TYPE = "98"  # ehc.spec.codes.TERMINAL_TYPES: hospital front-end server (kit code)
EMPTY_DIGEST = sm3(b"").hex()
_NONCE = re.compile(r"[A-Za-z0-9_\-]{16,64}")
_TERMINAL = re.compile(r"[A-Za-z0-9_.:\-]{1,32}")
_SIGNATURE = re.compile(r"[0-9A-Fa-f]{64}")  # hex of an HMAC-SM3; anything else cannot verify
# REL-F19: an unknown terminal is answered like a wrong signature, after the same HMAC work (with
# this stand-in secret), so a caller cannot enumerate terminal ids; the node's log keeps the reason
_STAND_IN_SECRET = bytes(32)
_STAND_IN_MAC = HmacSm3(_STAND_IN_SECRET)


def text_metadata(metadata: Iterable[tuple[str, str | bytes]]) -> dict[str, str]:
    """gRPC metadata as the text headers ``authenticate`` reads: binary (``-bin``) entries, which
    carry no signature field, are left out."""
    return {k: v for k, v in metadata if isinstance(v, str)}


def string_to_sign(
    method: str, timestamp: str, nonce: str, body_digest_hex: str, on_behalf_of: str = ""
) -> bytes:
    base = f"{method}\n{timestamp}\n{nonce}\n{body_digest_hex}"
    return (f"{base}\n{on_behalf_of}" if on_behalf_of else base).encode()


def sign(secret: bytes, method: str, body: bytes | None, *, timestamp_ms: int | None = None, nonce: str | None = None,
         terminal_id: str = "", on_behalf_of: str = "") -> dict[str, str]:  # fmt: skip
    """The four x-ehc-* headers for one call (``body`` None = streaming call); a front-end relaying
    for a terminal adds ``on_behalf_of`` (a fifth header, signed too)."""
    import secrets

    ts = str(int(time.time() * 1000) if timestamp_ms is None else timestamp_ms)
    nonce = nonce or secrets.token_hex(16)
    digest = EMPTY_DIGEST if body is None else sm3(body).hex()
    sig = hmac_sm3(secret, string_to_sign(method, ts, nonce, digest, on_behalf_of)).hex()
    headers = {H_TERMINAL: terminal_id, H_TIMESTAMP: ts, H_NONCE: nonce, H_SIGNATURE: sig}
    if on_behalf_of:
        headers[H_ON_BEHALF_OF] = on_behalf_of
    return headers


class NonceCache:
    """Nonces seen within the replay window (per process; see docs/assumptions.md).

    An entry lives 2 × window after it was seen (a timestamp may lead the node's clock by up to one
    window). Keys are kept as 64-bit hashes (~100 bytes an entry); ``max_entries`` (4 M ≈ 2,000
    calls/s for 2 × 300 s with room to spare) bounds memory: past it the oldest entries are dropped
    early and counted in ``forced_evictions`` (exported as a metric), never silently.
    """

    def __init__(self, window_s: float, max_entries: int = 4_000_000) -> None:
        self._seen: OrderedDict[int, float] = OrderedDict()
        self._window = window_s
        self._max = max_entries
        self._lock = threading.Lock()
        self.forced_evictions = 0

    def check_and_add(self, key: str, now: float) -> bool:
        """True if new (and now remembered); False if a replay."""
        h = hash(key)
        with self._lock:
            horizon = now - 2 * self._window
            seen = self._seen
            while seen:
                oldest_key, oldest = next(iter(seen.items()))
                if oldest >= horizon and len(seen) < self._max:
                    break
                if oldest >= horizon:
                    self.forced_evictions += 1
                del seen[oldest_key]
            if h in seen:
                return False
            seen[h] = now
            return True


@dataclass(slots=True)
class _Credential:
    secret: bytes
    mac: HmacSm3  # HMAC-SM3 under ``secret``, key states precomputed (once per fetch, not per call)
    caller: Caller
    revoked: bool
    certified: bool
    fetched: float
    frontend: bool = False  # terminal type FRONTEND_TYPE: a hospital front-end (H7)


class Authenticator:
    """Verifies x-ehc-* metadata against the terminal's credential (cached for ``cache_ttl`` seconds;
    a revocation drops the entry at once in this process and within one ``change_poll_ms`` in the
    others sharing the database, through the node's change feed)."""

    def __init__(self, node: Node, cache_ttl: float = 5.0) -> None:
        self.node = node
        self.window_ms = node.config.replay_window_s * 1000
        self.nonces = NonceCache(node.config.replay_window_s)
        # REL-F7: the nonce cache starts empty, so a call signed before this process started could
        # replay; such calls are refused (their client signs again). Not needed with shared nonces.
        self.floor_ms = (
            0
            if node.config.shared_nonces
            else int(node.started * 1000) - node.config.replay_start_tolerance_ms
        )
        self._creds: dict[str, _Credential] = {}
        self._ttl = cache_ttl
        self._lock = threading.Lock()
        self._inserted = 0
        self._generation = 0  # bumped by forget(): a fetch racing a revocation is not cached
        node.credential_listeners.append(self.forget)
        self.rates = TokenBuckets(node.config.rate_limit_per_s, node.config.rate_limit_burst)
        # the reason an answer does not give (REL-F19), logged once per interval with counts
        self.unknown_terminal = Throttled(
            "auth refused: unknown terminal (answered as NODE_AUTH_BAD_SIGNATURE)", level=logging.INFO
        )
        self.bad_signature = Throttled("auth refused: signature does not verify", level=logging.INFO)
        self.before_start = Throttled("auth refused: signed before this process started", level=logging.INFO)

    def _credential(self, terminal_id: str) -> _Credential | None:
        now = time.monotonic()
        cred = self._creds.get(terminal_id)
        if cred is not None and now - cred.fetched < self._ttl:
            return cred
        generation = self._generation
        row = self.node.db.one(
            "SELECT c.secret_enc, c.revoked, t.org_code, t.role, t.certification, o.area_code, t.terminal_type "
            "FROM credentials c "
            "JOIN terminals t ON t.terminal_id = c.terminal_id LEFT JOIN organisations o ON o.code = t.org_code "
            "WHERE c.terminal_id = ?",
            (terminal_id,),
        )
        if row is None:
            with self._lock:
                self._creds.pop(terminal_id, None)
            return None
        secret_enc, revoked, org, role, certification, area, terminal_type = row
        secret = self.node.hsm.open(bytes(secret_enc))
        cred = _Credential(
            secret, HmacSm3(secret), Caller(terminal_id, org, int(role), area or ""), bool(revoked),
            self._certified(terminal_id, int(role), int(certification)), now, terminal_type == FRONTEND_TYPE,
        )  # fmt: skip
        with self._lock:
            if generation == self._generation:
                self._creds[terminal_id] = cred
        return cred

    def _certified(self, terminal_id: str, role: int, certification: int) -> bool:
        """检测备案: with the profile's rule on, a terminal (role TERMINAL) needs a registered,
        unrevoked PASS certification report for the node's profile (reference_node.certificates);
        a revoked status (3) stops any identity."""
        if certification == 3:
            return False
        if not self.node.config.require_certified_terminals or role != 1:
            return True
        return certificates.holds_valid(self.node.db, terminal_id, self.node.config.profile)

    def credential(self, terminal_id: str) -> tuple[bytes, Caller, EhcError | None] | None:
        """(secret, caller, refusal) of a registered terminal, for front doors that sign with the
        same secret in another envelope (reference_node.platforms); None when unknown. ``refusal``
        is what a signed ehc.node.v1 call of the terminal gets once its signature verifies
        (revoked; not certified, 检测备案), None when it may call: every door, one rule."""
        cred = self._credential(terminal_id)
        if cred is None:
            return None
        return cred.secret, cred.caller, self._refusal(cred)

    def _refusal(self, cred: _Credential) -> EhcError | None:
        return self._standing_refusal(cred.revoked, cred.certified)

    def _standing_refusal(self, revoked: bool, certified: bool) -> EhcError | None:
        if revoked or not certified:
            if not revoked and self.node.config.require_certified_terminals:
                return EhcError(TERMINAL_NOT_CERTIFIED)
            return EhcError(AUTH_CREDENTIAL_REVOKED)
        return None

    def _relayed_refusal(self, cred: _Credential, behalf: str) -> EhcError | None:
        """H7: the node's terminal rule for the terminal behind a front-end. Only a front-end may
        name one, only a terminal of its own organisation; with 检测备案 on, a front-end must name
        one on every call (else it would lend its own standing to every device behind it), and
        the named terminal gets ``_refusal`` as if it called itself: registered here, certified,
        not revoked."""
        if not behalf:
            if cred.frontend and self.node.config.require_certified_terminals:
                return EhcError(
                    TERMINAL_NOT_CERTIFIED,
                    "a front-end must name the terminal it relays for (x-ehc-on-behalf-of)",
                )
            return None
        if not cred.frontend:
            # trusted from a front-end only; without 检测备案 the call is simply the signer's own
            if not self.node.config.require_certified_terminals:
                return None
            return EhcError(CONTEXT_MISMATCH, "only a front-end may relay for another terminal")
        row = self.node.db.one(
            "SELECT org_code, role, certification FROM terminals WHERE terminal_id = ?", (behalf,)
        )
        if row is None:
            # not registered at the node: not certified (检测备案); without the rule a front-end's
            # own local terminals need not be registered here
            if self.node.config.require_certified_terminals:
                return EhcError(TERMINAL_NOT_CERTIFIED, field=H_ON_BEHALF_OF)
            return None
        org, role, certification = row
        if org != cred.caller.org_code or int(role) != 1:
            return EhcError(
                CONTEXT_MISMATCH, "the relayed terminal is not a terminal of the front-end's organisation"
            )
        certified = self._certified(behalf, int(role), int(certification))
        refusal = self._standing_refusal(False, certified)
        if refusal is not None:
            refusal.detail["field"] = H_ON_BEHALF_OF  # the relayed terminal's refusal, not the front-end's
        return refusal

    def forget(self, terminal_id: str) -> None:
        """Drop a cached credential (called on revocation, rotation or a terminal change, here or
        in another process via the node's change feed)."""
        with self._lock:
            self._generation += 1
            self._creds.pop(terminal_id, None)

    def authenticate(self, method: str, headers: Mapping[str, str], body: bytes | None) -> Caller:
        """Check a call's x-ehc-* headers (REST, platform front doors); the caller or EhcError."""
        return self._check(
            method, headers.get(H_TERMINAL, ""), headers.get(H_TIMESTAMP, ""), headers.get(H_NONCE, ""),
            headers.get(H_SIGNATURE, ""), body, headers.get(H_ON_BEHALF_OF, ""),
        )  # fmt: skip

    def authenticate_metadata(
        self, method: str, metadata: Iterable[tuple[str, str | bytes]], body: bytes | None
    ) -> Caller:
        """``authenticate`` for gRPC invocation metadata, read in one pass (issue #14: no dict of
        every entry per call). A repeated key counts with its last value, as a dict would; the
        four keys never end in ``-bin``, so their values are text."""
        terminal = ts = nonce = signature = behalf = ""
        for key, value in metadata:
            if key[:6] == "x-ehc-" and isinstance(value, str):
                if key == H_SIGNATURE:
                    signature = value
                elif key == H_NONCE:
                    nonce = value
                elif key == H_TIMESTAMP:
                    ts = value
                elif key == H_TERMINAL:
                    terminal = value
                elif key == H_ON_BEHALF_OF:
                    behalf = value
        return self._check(method, terminal, ts, nonce, signature, body, behalf)

    def _check(
        self, method: str, terminal: str, ts: str, nonce: str, signature: str, body: bytes | None,
        behalf: str = "",
    ) -> Caller:  # fmt: skip
        if not (terminal and ts and nonce and signature):
            raise EhcError(AUTH_MISSING)
        if (
            not _TERMINAL.fullmatch(terminal)
            or not _NONCE.fullmatch(nonce)
            or not (ts.isascii() and ts.isdigit())
            or len(ts) > 16
        ):
            raise EhcError(AUTH_MISSING, "x-ehc-* metadata malformed")
        if behalf and not _TERMINAL.fullmatch(behalf):
            raise EhcError(AUTH_MISSING, "x-ehc-on-behalf-of malformed")
        cred = self._credential(terminal)
        digest = EMPTY_DIGEST if body is None else sm3(body).hex()
        mac = _STAND_IN_MAC if cred is None else cred.mac
        expected = mac.digest(string_to_sign(method, ts, nonce, digest, behalf))
        # REL-F14: only 64 hex digits can verify (and non-ASCII text never reaches fromhex)
        good = _SIGNATURE.fullmatch(signature) is not None and hmac.compare_digest(
            expected, bytes.fromhex(signature)
        )
        if cred is None or not good:
            (self.unknown_terminal if cred is None else self.bad_signature).hit(
                terminal=terminal, method=method
            )
            raise EhcError(AUTH_BAD_SIGNATURE)
        if (refusal := self._refusal(cred) or self._relayed_refusal(cred, behalf)) is not None:
            raise refusal
        now_ms = time.time() * 1000
        if abs(now_ms - int(ts)) > self.window_ms:
            raise EhcError(AUTH_STALE_TIMESTAMP, window_s=self.node.config.replay_window_s)
        if int(ts) < self.floor_ms:
            self.before_start.hit(terminal=terminal, method=method)
            raise EhcError(
                AUTH_STALE_TIMESTAMP,
                "signed before this node process started (its nonces are unknown here); sign again",
                window_s=self.node.config.replay_window_s,
            )
        key = f"{terminal}|{nonce}"  # no NUL: PostgreSQL text cannot hold it
        if not self.nonces.check_and_add(key, now_ms / 1000):
            raise EhcError(AUTH_REPLAYED_NONCE)
        if self.nonces.forced_evictions:
            self.node.metrics.inc(
                "ehc_node_nonce_forced_evictions_total", float(self.nonces.forced_evictions)
            )
            self.nonces.forced_evictions = 0
        if self.node.config.shared_nonces and not self._shared_nonce(key, int(now_ms)):
            raise EhcError(AUTH_REPLAYED_NONCE)
        if self.rates.enabled and not cred.caller.is_admin:
            # after the signature: an unsigned flood cannot drain a terminal's bucket
            wait = self.rates.take(terminal)
            if wait:
                self.node.metrics.inc("ehc_node_rate_limited_total")
                raise EhcError(
                    RATE_LIMITED,
                    f"over {self.rates.rate:g} calls/s (burst {self.rates.burst:g}); retry in {wait:.3f} s",
                    retry_after_s=round(wait, 3),
                )
        return cred.caller

    def fresh_nonce(self, key: str, now_s: float, sent_s: float | None = None) -> bool:
        """True the first time ``key`` is seen within the replay window, in this process and, when
        the node shares nonces (``--shared-nonces``, on with ``--processes`` > 1), in every process.
        For front doors whose envelopes carry their own request ids (reference_node.platforms).
        ``sent_s``, the envelope's own time stamp (whole seconds): an envelope sent before this
        process started is not fresh either (REL-F7 as on ehc.node.v1: the in-process cache
        starts empty, so a captured envelope would replay after a restart)."""
        if sent_s is not None and (int(sent_s) + 1) * 1000 <= self.floor_ms:
            return False
        if not self.nonces.check_and_add(key, now_s):
            return False
        return not self.node.config.shared_nonces or self._shared_nonce(key, int(now_s * 1000))

    def _shared_nonce(self, key: str, now_ms: int) -> bool:
        """Record the nonce in the database (one relaxed insert); False when another node process
        sharing the database has seen it. Old rows are pruned now and then. The insert goes
        through the group committer (issue #14): the nonces of every call that arrived meanwhile
        share one relaxed commit, instead of one write transaction per call."""
        from reference_node.store.db import Cursor
        from reference_node.store.group import committer_of

        self._inserted += 1
        prune = self._inserted % 5000 == 0

        def record(cur: Cursor) -> int:
            fresh = cur.run(
                "INSERT INTO auth_nonces (nonce_key, seen_at_ms) VALUES (?, ?) ON CONFLICT (nonce_key) DO NOTHING",
                (key, now_ms),
            )
            if prune:
                cur.run("DELETE FROM auth_nonces WHERE seen_at_ms < ?", (now_ms - 2 * self.window_ms,))
            return fresh

        return committer_of(self.node).run(record, durable=False) == 1
