"""A vendor whose own authentication layer (in front of its back end) checks the HMAC and the
timestamp window but remembers only the last 16 nonces in a ring buffer "to keep the hot path in
cache": a captured call replayed at once is refused, the same call replayed after sixteen other
calls is accepted again (and the back end, which the vendor calls with its own fresh signature,
never sees the replay)."""

from __future__ import annotations

import collections
import time
from typing import Any

import grpc

from ehc.gm import hmac_sm3, sm3
from reference_node.auth import H_NONCE, H_SIGNATURE, H_TERMINAL, H_TIMESTAMP, string_to_sign

from . import _rt3
from ._proxy import Call, VendorNode

RING = 16
WINDOW_MS = 300_000


class ReplayLastN(VendorNode):
    mutant_name = "rt3-replay-last-n"
    description = "replay check keeps only the last 16 nonces: a call replayed later is accepted"
    defect_class = "replay protection with a bounded memory"
    catches = ("SEC-010",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ring: collections.deque[str] = collections.deque(maxlen=RING)

    def on_request(self, call: Call) -> None:
        headers = {k: v for k, v in call.metadata if isinstance(v, str)}
        creds = self.caller(headers.get(H_TERMINAL, ""))
        ts, nonce, sig = headers.get(H_TIMESTAMP, ""), headers.get(H_NONCE, ""), headers.get(H_SIGNATURE, "")
        if creds is None or not ts.isdigit() or not nonce:
            return  # let the back end refuse it as it does
        expected = hmac_sm3(creds.secret, string_to_sign(call.method, ts, nonce, sm3(call.raw).hex())).hex()
        if sig.lower() != expected or abs(time.time() * 1000 - int(ts)) > WINDOW_MS:
            return  # bad signature or stale: the back end refuses it unchanged
        with self.lock:
            if nonce in self.ring:
                raise _rt3.refusal(
                    grpc.StatusCode.UNAUTHENTICATED, "NODE_AUTH_REPLAYED_NONCE", 4205, "nonce seen"
                )
            self.ring.append(nonce)
        call.sign_as = creds  # the vendor calls its back end with a fresh signature of its own


MUTANT = ReplayLastN
