"""What the hospital front-end server adds: the same calls direct to the node and through the relay,
measured in one run.

    python benchmarks/bench_frontend.py [--seconds 2.0] [--rounds 3] [--json]

A node and a front-end each run in their own process (``reference_node.testing``,
``reference_node.frontend.testing``); this process is the terminal. Scenarios, each for
``--seconds`` per round, direct and relayed rounds interleaved (the machine is shared: interleaving
spreads its noise over both), sequential calls (latency, not capacity):

* ``verify-static``: VerifyQr of a static code (the relay forwards it and caches the answer);
* ``report``: UsageService.Report (direct: the node's commit; relayed: the front-end's own fsync'd
  commit, the forwarding happens in the background).

Reported per scenario: calls/s and p50/p99 latency of each path, and the ratio relayed/direct of
the median latency (1.0 = the relay adds nothing). Rate limits are off on both (``--rate-limit 0``,
``--terminal-rate-limit 0``): this measures latency, not the limits.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ehc.spec.identifiers import make_citizen_id  # noqa: E402
from reference_node.client import NodeClient  # noqa: E402
from reference_node.frontend.testing import start_frontend_process  # noqa: E402
from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip  # noqa: E402
from reference_node.proto.ehc.node.v1 import usage_pb2 as up  # noqa: E402
from reference_node.proto.ehc.node.v1 import verification_pb2 as vp  # noqa: E402
from reference_node.testing import start_node  # noqa: E402


def _run(call: Callable[[int], object], seconds: float) -> list[float]:
    latencies: list[float] = []
    i = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        call(i)
        latencies.append(time.perf_counter() - t0)
        i += 1
    return latencies


def _summary(latencies: list[float], seconds: float) -> dict[str, float]:
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {
        "calls": len(latencies),
        "calls_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 3),
        "p99_ms": round(q[98] * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="per scenario, path and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        node = start_node(tmp, subprocess=True, extra_args=["--rate-limit", "0"])
        fe = None
        try:
            fe = start_frontend_process(
                tmp,
                node.target,
                node.client_file,
                terminals=["BENCH-0001"],
                extra_args=["--terminal-rate-limit", "0"],
            )
            direct, relayed = node.client(), fe.client("BENCH-0001")
            number = make_citizen_id("370802", __import__("datetime").date(1980, 2, 3), 123)
            reg = direct.issuance.Register(
                ip.RegisterRequest(
                    application_mode="3", name="测试居民", document_type="01", document_number=number,
                    sex="1", nation="01", area_code="370802",
                )
            )  # fmt: skip
            ehcid = reg.card.ehcid
            static = direct.issuance.GetQrCode(ip.GetQrCodeRequest(ehcid=ehcid, code_type=1)).qr_text
            org = direct.credentials.org_code

            def verify(client: NodeClient) -> Callable[[int], object]:
                request = vp.VerifyQrRequest(qr_text=static, context=client.context())
                return lambda i: client.verification.VerifyQr(request)

            def report(client: NodeClient, prefix: str) -> Callable[[int], object]:
                def call(i: int) -> object:
                    return client.usage.Report(
                        up.UsageRecord(
                            request_id=f"{prefix}-{i}-{time.monotonic_ns()}", time="20261126110000", org_code=org,
                            use_city="370800", scene="0101011", card_type="11", channel="0100", ehcid=ehcid,
                        )
                    )  # fmt: skip

                return call

            scenarios = {
                "verify-static": (verify(direct), verify(relayed)),
                "report": (report(direct, "d"), report(relayed, "r")),
            }
            results: dict[str, dict[str, object]] = {}
            for name, (d_call, r_call) in scenarios.items():
                d_lat: list[float] = []
                r_lat: list[float] = []
                for _ in range(max(1, args.rounds)):
                    d_lat += _run(d_call, args.seconds)
                    r_lat += _run(r_call, args.seconds)
                total = args.seconds * max(1, args.rounds)
                d, r = _summary(d_lat, total), _summary(r_lat, total)
                results[name] = {"direct": d, "relayed": r, "ratio_p50": round(r["p50_ms"] / d["p50_ms"], 2)}
            direct.close()
            relayed.close()
        finally:
            if fe is not None:
                fe.stop()
            node.stop()
    if args.json:
        print(json.dumps(results, indent=1))
        return
    print(f"{'scenario':<14} {'path':<8} {'calls/s':>9} {'p50 ms':>9} {'p99 ms':>9}")
    for name, res in results.items():
        for path in ("direct", "relayed"):
            s = res[path]
            print(f"{name:<14} {path:<8} {s['calls_per_s']:>9} {s['p50_ms']:>9} {s['p99_ms']:>9}")  # type: ignore[index]
        print(f"{name:<14} relay/direct median latency ratio: {res['ratio_p50']}")


if __name__ == "__main__":
    main()
