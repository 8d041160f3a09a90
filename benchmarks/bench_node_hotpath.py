"""The node's own CPU per call on its hot paths, without gRPC (issue #14), next to a trivial
handler (the echo server's work) measured in the same run.

    python benchmarks/bench_node_hotpath.py            # 5 rounds of 3,000 calls per path
    python benchmarks/bench_node_hotpath.py --quick    # 3 rounds of 600 calls (seconds)
    python benchmarks/bench_node_hotpath.py --profile verify_static   # cProfile of one path
    python benchmarks/bench_node_hotpath.py --grpc     # also: the echo server's CPU per gRPC call

A node runs in this process (embedded SQLite, TEST-ONLY keys). Each call goes through the very
function grpcio would call for the method (``server._Handlers(...)``'s unary behaviour: metadata,
HMAC-SM3 authentication, nonce, protobuf parse, the service, metrics) with real signed metadata
and a stand-in ``ServicerContext``, then the handler's response serializer. Signing happens before
the timed loop. CPU time is ``time.process_time`` (every thread of this process: the group
committer and the verification-log writer are charged to the calls that made them work), so the
figures hold on a shared, loaded machine where wall-clock throughput does not. Rounds interleave
the paths; each figure is the median over the rounds (min-max beside it).

Paths: ``echo`` (a handler returning its request bytes: what the echo server's handler does),
``verify_static`` (VerifyQr of a static code, card cache warm), ``verify_dynamic`` (VerifyQr of a
dynamic code: the use-counter decrement in the group committer), ``report`` (UsageService.Report:
a durable insert; one calling thread, so every report pays a whole commit) and ``report_x8``
(eight calling threads: commits shared as under load).

``--grpc``: a trivial gRPC echo server (as ``bench_node.py``'s) in a child process, called
sequentially from here; its CPU per call from /proc is grpcio's per-call machinery, the part of
a node call that is not the node's own code.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PATHS = ("echo", "verify_static", "verify_dynamic", "report", "report_x8")
USER_AGENT = ("user-agent", "grpc-python/1.76.0 grpc-c/51.0.0 (linux; chttp2)")


class _Aborted(Exception):
    pass


class FakeContext:
    """What the node's unary behaviour uses of ``grpc.ServicerContext``."""

    __slots__ = ("_md", "trailing")

    def __init__(self, metadata: tuple[tuple[str, str], ...]) -> None:
        self._md = metadata
        self.trailing: Any = None

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._md

    def time_remaining(self) -> float:
        return 10.0  # the load clients' timeout

    def set_trailing_metadata(self, md: Any) -> None:
        self.trailing = md

    def abort(self, code: Any, details: str) -> None:
        raise _Aborted(f"{code}: {details}")

    def is_active(self) -> bool:
        return True


class Bench:
    def __init__(self, tmp: Path, workers: int = 16) -> None:
        from reference_node.config import NodeConfig
        from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip
        from reference_node.proto.ehc.node.v1 import verification_pb2 as vp
        from reference_node.runtime import start

        # one terminal drives every call: the per-terminal rate limit would measure itself
        self.running = start(
            tmp / "node", config=NodeConfig(rate_limit_per_s=0.0), write_endpoint=False, workers=workers
        )
        node = self.running.node
        assert node is not None and self.running.grpc is not None
        self.node = node
        self.creds = self.running.credentials
        from reference_node import server

        srv = self.running.grpc
        handlers = server._Handlers(node, srv.authenticator, srv.streams)._handlers  # noqa: SLF001
        self.handlers = handlers
        with self.running.client() as c:
            sys.path.insert(0, str(ROOT / "benchmarks"))
            from bench_node import residents

            regs = [r for res in c.issuance.RegisterBatch(residents(50, start=10_000_000)) for r in res.items]
            self.ehcids = [r.ehcid for r in regs if r.ehcid]
            self.ctx = c.context()
            self.static = [
                vp.VerifyQrRequest(qr_text=e + ":1", context=self.ctx).SerializeToString()
                for e in self.ehcids
            ]
            self._ip = ip
            self._vp = vp

    def dynamic_bodies(self, n: int) -> list[bytes]:
        """Fresh dynamic codes for ``n`` verifications (100 uses each), issued over gRPC (untimed)."""
        bodies: list[bytes] = []
        with self.running.client() as c:
            k = 0
            while len(bodies) < n:
                ehcid = self.ehcids[k % len(self.ehcids)]
                k += 1
                code = c.issuance.GetQrCode(
                    self._ip.GetQrCodeRequest(
                        ehcid=ehcid, code_type=0, lifetime_seconds=3600, max_verifications=100
                    )
                )
                body = self._vp.VerifyQrRequest(qr_text=code.qr_text, context=self.ctx).SerializeToString()
                bodies += [body] * min(100, n - len(bodies))
        return bodies

    def report_bodies(self, n: int, tag: str) -> list[bytes]:
        from reference_node.config import fmt_time, now_cst
        from reference_node.proto.ehc.node.v1 import usage_pb2 as up

        c = self.creds
        r = up.UsageRecord(
            time=fmt_time(now_cst()), org_code=c.org_code, use_city="370800", scene="0101011",
            card_type="11", channel="0100", ehcid=self.ehcids[0],
        )  # fmt: skip
        out = []
        for i in range(n):
            r.request_id = f"h{tag}-{i}"
            out.append(r.SerializeToString())
        return out

    def calls(
        self, path: str, n: int, tag: str
    ) -> tuple[Callable[..., Any], list[tuple[bytes, FakeContext]]]:
        from reference_node.auth import sign

        if path == "echo":

            def echo(raw: bytes, context: Any) -> bytes:
                return raw

            bodies = [self.static[i % len(self.static)] for i in range(n)]
            return echo, [(b, FakeContext(())) for b in bodies]
        if path == "verify_static":
            method = "/ehc.node.v1.VerificationService/VerifyQr"
            bodies = [self.static[i % len(self.static)] for i in range(n)]
        elif path == "verify_dynamic":
            method = "/ehc.node.v1.VerificationService/VerifyQr"
            bodies = self.dynamic_bodies(n)
        else:
            method = "/ehc.node.v1.UsageService/Report"
            bodies = self.report_bodies(n, f"{path}-{tag}")
        handler = self.handlers[method]
        behaviour, serialize = handler.unary_unary, handler.response_serializer

        def call(raw: bytes, context: Any) -> bytes:
            return serialize(behaviour(raw, context))

        c = self.creds
        prepared = [
            (b, FakeContext((USER_AGENT, *sign(c.secret, method, b, terminal_id=c.terminal_id).items())))
            for b in bodies
        ]
        return call, prepared

    def run(self, path: str, n: int, tag: str) -> dict[str, float]:
        fn, prepared = self.calls(path, n, tag)
        threads = 8 if path == "report_x8" else 1
        fn(*prepared[0])  # warm (caches, first-use paths)
        work = prepared[1:]
        t0, w0 = time.process_time(), time.perf_counter()
        if threads == 1:
            for raw, ctx in work:
                fn(raw, ctx)
        else:
            parts = [work[i::threads] for i in range(threads)]
            pool = [threading.Thread(target=lambda p=p: [fn(r, x) for r, x in p]) for p in parts]
            for t in pool:
                t.start()
            for t in pool:
                t.join()
        t1, w1 = time.process_time(), time.perf_counter()
        return {"cpu_us": (t1 - t0) / len(work) * 1e6, "wall_us": (w1 - w0) / len(work) * 1e6}

    def stop(self) -> None:
        self.running.stop()


CLIENT = """
import pickle, sys, threading, grpc
target, method, path, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
calls = pickle.loads(open(path, "rb").read())
channels = [grpc.insecure_channel(target) for _ in range(threads)]
stubs = [ch.unary_unary(method) for ch in channels]
for i, stub in enumerate(stubs):  # connect and warm (first-call paths), untimed
    stub(calls[i][0], metadata=calls[i][1], timeout=10)
calls = calls[threads:]
print("ready", flush=True)
sys.stdin.readline()
def loop(k):
    for body, md in calls[k::threads]:
        stub = stubs[k]
        stub(body, metadata=md, timeout=10)
pool = [threading.Thread(target=loop, args=(k,)) for k in range(threads)]
for t in pool: t.start()
for t in pool: t.join()
print("done", len(calls), flush=True)
"""


def server_cpu_per_call(
    target: str, method: str, calls: list[tuple[bytes, tuple]], cpu: Callable[[], float], threads: int
) -> float:
    """CPU µs per call of the server behind ``target`` (``cpu()``: its CPU seconds so far) while a
    client child process makes ``calls``; only the timed calls are counted (connect/warm excluded)."""
    import pickle

    with tempfile.NamedTemporaryFile(suffix=".pickle", delete=False) as f:
        f.write(pickle.dumps(calls))
    child = subprocess.Popen(
        [sys.executable, "-c", CLIENT, target, method, f.name, str(threads)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdin is not None and child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        c0 = cpu()
        child.stdin.write("go\n")
        child.stdin.flush()
        done = child.stdout.readline().split()
        c1 = cpu()
        assert done and done[0] == "done", done
        return (c1 - c0) / int(done[1]) * 1e6
    finally:
        child.wait(30)
        os.unlink(f.name)


class ServeNode:
    """The node as deployed: ``python -m reference_node serve`` in a child process (as
    ``bench_node.py`` runs it), 50 residents with static codes."""

    def __init__(self, tmp: Path, workers: int = 16) -> None:
        from reference_node.proto.ehc.node.v1 import verification_pb2 as vp
        from reference_node.testing import start_node

        sys.path.insert(0, str(ROOT / "benchmarks"))
        from bench_node import residents

        (tmp / "serve").mkdir(parents=True, exist_ok=True)
        self.node = start_node(
            tmp / "serve", subprocess=True, extra_args=["--rate-limit", "0", "--workers", str(workers)]
        )
        with self.node.client() as c:
            regs = [r for res in c.issuance.RegisterBatch(residents(50, start=20_000_000)) for r in res.items]
            ctx = c.context()
        self.static = [
            vp.VerifyQrRequest(qr_text=r.ehcid + ":1", context=ctx).SerializeToString() for r in regs
        ]

    def stop(self) -> None:
        self.node.stop()


def grpc_figures(bench: Bench, serve: ServeNode, n: int, threads: int, workers: int = 16) -> dict[str, float]:
    """Server CPU per gRPC call: the echo server without and with the node's signature metadata,
    this process's node (static and dynamic VerifyQr) and a ``serve`` child process (static), the
    same client for all."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_node import ECHO_METHOD, ECHO_SERVER, cpu_seconds

    from reference_node.auth import sign

    c = bench.creds
    method = "/ehc.node.v1.VerificationService/VerifyQr"
    out: dict[str, float] = {}
    echo_server = ECHO_SERVER.replace("max_workers=16", f"max_workers={workers}")
    proc = subprocess.Popen([sys.executable, "-c", echo_server], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        echo = f"127.0.0.1:{proc.stdout.readline().strip()}"
        bodies = [bench.static[i % len(bench.static)] for i in range(n)]
        signed = [(b, tuple(sign(c.secret, method, b, terminal_id=c.terminal_id).items())) for b in bodies]
        out["echo"] = server_cpu_per_call(
            echo, ECHO_METHOD, [(b, ()) for b in bodies], lambda: cpu_seconds(proc.pid), threads
        )
        out["echo_signed_metadata"] = server_cpu_per_call(
            echo, ECHO_METHOD, signed, lambda: cpu_seconds(proc.pid), threads
        )
    finally:
        proc.terminate()
        proc.wait(10)
    out["node_verify_static"] = server_cpu_per_call(
        bench.running.target, method, signed, time.process_time, threads
    )
    dynamic = [
        (b, tuple(sign(c.secret, method, b, terminal_id=c.terminal_id).items()))
        for b in bench.dynamic_bodies(n)
    ]
    out["node_verify_dynamic"] = server_cpu_per_call(
        bench.running.target, method, dynamic, time.process_time, threads
    )
    sc = serve.node.credentials
    served = [
        (b, tuple(sign(sc.secret, method, b, terminal_id=sc.terminal_id).items()))
        for b in (serve.static[i % len(serve.static)] for i in range(n))
    ]
    pid = serve.node.process.pid
    out["serve_verify_static"] = server_cpu_per_call(
        serve.node.target, method, served, lambda: cpu_seconds(pid), threads
    )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="3 rounds of 600 calls per path")
    ap.add_argument("--calls", type=int, default=3000, help="calls per path per round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--paths", default=",".join(PATHS), help="comma-separated subset of " + ",".join(PATHS))
    ap.add_argument("--profile", choices=PATHS, help="cProfile one path (one round) and print the top")
    ap.add_argument("--grpc", action="store_true", help="also server CPU per real gRPC call: echo and node")
    ap.add_argument("--grpc-threads", type=int, default=1, help="client threads of the --grpc calls")
    ap.add_argument(
        "--workers", type=int, default=16, help="gRPC worker threads of the servers (node and echo)"
    )
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if a.quick:
        a.calls, a.rounds = 600, 3
    paths = [p for p in a.paths.split(",") if p]
    tmp = Path(tempfile.mkdtemp(prefix="bench-hotpath-"))
    bench = Bench(tmp, a.workers)
    serve = ServeNode(tmp, a.workers) if a.grpc else None
    out: dict[str, Any] = {"calls": a.calls, "rounds": a.rounds, "load": os.getloadavg()[0]}
    try:
        if a.profile:
            fn, prepared = bench.calls(a.profile, a.calls, "p")
            fn(*prepared[0])
            prof = cProfile.Profile()
            prof.enable()
            for raw, ctx in prepared[1:]:
                fn(raw, ctx)
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(30)
            return 0
        samples: dict[str, list[float]] = {p: [] for p in paths}
        grpc_samples: dict[str, list[float]] = {}
        for rnd in range(a.rounds):
            for p in paths if rnd % 2 == 0 else reversed(paths):  # interleaved, order alternating
                samples[p].append(bench.run(p, a.calls, f"{rnd}")["cpu_us"])
            if serve is not None:
                for k, v in grpc_figures(bench, serve, a.calls, a.grpc_threads, a.workers).items():
                    grpc_samples.setdefault(k, []).append(v)
    finally:
        bench.stop()
        if serve is not None:
            serve.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    echo = statistics.median(samples["echo"]) if "echo" in samples else 0.0
    print(
        f"node CPU per call without gRPC, median of {a.rounds} rounds x {a.calls} calls (load {out['load']:.1f})"
    )
    for p in paths:
        med = statistics.median(samples[p])
        out[p] = {"median_us": med, "min_us": min(samples[p]), "max_us": max(samples[p])}
        print(
            f"  {p:15s} {med:8.1f} us   ({min(samples[p]):.1f}-{max(samples[p]):.1f})   node own {med - echo:8.1f} us"
        )
    if grpc_samples:
        print(
            f"server CPU per gRPC call (/proc or process time), {a.grpc_threads} client thread(s), same rounds"
        )
        for k, v in grpc_samples.items():
            med = statistics.median(v)
            out[f"grpc_{k}"] = {"median_us": med, "min_us": min(v), "max_us": max(v)}
            print(f"  {k:22s} {med:8.1f} us   ({min(v):.1f}-{max(v):.1f})")
        # a CPU-bound server's calls/s go as 1 / CPU per call: the echo's CPU over the node's is
        # the throughput ratio the node reaches when the machine's cores are the limit
        echo_cpu = out["grpc_echo"]["median_us"]
        for k in ("node_verify_static", "node_verify_dynamic", "serve_verify_static"):
            print(f"  CPU ratio echo / {k}: {echo_cpu / out[f'grpc_{k}']['median_us']:.2f}")
    if a.json:
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
