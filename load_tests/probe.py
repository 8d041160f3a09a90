"""Before a bench: does the target's per-terminal rate limit cap the measurement?

A short burst from ONE terminal (``PROBE_CALLS`` verifications of a seeded static code, from a few
threads): if the target refuses any as rate-limited, the run's terminals may be held to that rate
and the measured throughput would be the limit's, not the node's. ``ehc node serve`` limits each
terminal to 100 calls/s with a burst of 200 by default (docs/node.md "Limits").
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

__all__ = ["ProbeResult", "probe_grpc", "probe_tencent", "PROBE_CALLS"]

PROBE_CALLS = 500  # more than the default burst (200) plus what 100/s refills during the burst
PROBE_THREADS = 4


@dataclass
class ProbeResult:
    calls: int
    limited: int
    other_errors: int
    seconds: float

    @property
    def capped(self) -> bool:
        return self.limited > 0

    def describe(self, terminals: int, users: int) -> str:
        accepted = self.calls - self.limited - self.other_errors
        return (
            f"the target rate-limits one terminal: {self.limited} of {self.calls} calls of a "
            f"{self.seconds:.1f} s burst were refused as over its rate ({accepted} accepted, about "
            f"{accepted / max(self.seconds, 1e-9):.0f}/s). This run's {users} users share {terminals} "
            "terminal(s), so the figures may show the limit, not the node: raise or switch off the "
            "limit (ehc node serve --rate-limit 0) for a capacity measurement"
        )


def _burst(one_call: Any) -> ProbeResult:
    counts = {"limited": 0, "other": 0}
    lock = threading.Lock()
    per = PROBE_CALLS // PROBE_THREADS

    def worker() -> None:
        for _ in range(per):
            outcome = one_call()
            if outcome != "ok":
                with lock:
                    counts["limited" if outcome == "limited" else "other"] += 1

    threads = [threading.Thread(target=worker) for _ in range(PROBE_THREADS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ProbeResult(per * PROBE_THREADS, counts["limited"], counts["other"], time.perf_counter() - t0)


def probe_grpc(address: str, dataset: dict[str, Any]) -> ProbeResult:
    """Burst from the first non-admin seeded terminal (its own HMAC-SM3 credential)."""
    import grpc

    from load_tests.messages import terminal_context
    from reference_node.client import Credentials, NodeClient, error_of
    from reference_node.proto.ehc.node.v1 import verification_pb2

    term = next(t for t in dataset["terminals"] if t.get("role") != "admin")
    creds = Credentials(
        terminal_id=term["terminal_id"], secret=bytes.fromhex(term["secret_hex"]), org_code=term["org_code"]
    )
    client = NodeClient(address, creds)
    code = dataset["persons"][0]["static_qr"]

    def one() -> str:
        req = verification_pb2.VerifyQrRequest(
            qr_text=code, context=terminal_context(term, step="010101", scene="0101012")
        )
        try:
            client.verification.VerifyQr(req, timeout=10)
            return "ok"
        except grpc.RpcError as err:
            limited = err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED or "RATE" in error_of(err).code.name
            return "limited" if limited else "error"

    try:
        return _burst(one)
    finally:
        client.close()


def probe_tencent(url: str, dataset: dict[str, Any]) -> ProbeResult:
    """Burst of verifyQRCode with the run's app (its token fetched before the run)."""
    import json

    import httpx

    from reference_node.platforms.tencent_envelope import OPERATION_PREFIX, envelope

    app = dataset["app"]
    code = dataset["persons"][0]["static_qr"]
    http = httpx.Client(base_url=url, timeout=10)

    def one() -> str:
        body = envelope(
            {"qrCodeText": code, "medicalStep": "010101", "channelCode": "0100"},
            app_secret=app["app_secret"],
            app_token=app["token"],
            request_id=uuid.uuid4().hex.upper(),
            hospital_id=app["hospital_id"],
            timestamp=int(time.time()),
        )
        try:
            answer = http.post(OPERATION_PREFIX + "verifyQRCode", content=json.dumps(body).encode())
            common = answer.json().get("commonOut", {})
        except (httpx.HTTPError, ValueError):
            return "error"
        if common.get("resultCode") == 0:
            return "ok"
        return "limited" if "RATE_LIMITED" in str(common.get("errMsg", "")) else "error"

    try:
        return _burst(one)
    finally:
        http.close()
