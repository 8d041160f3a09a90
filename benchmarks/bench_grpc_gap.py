"""Where the distance between the node and a bare gRPC echo server goes (issue #14).

    python benchmarks/bench_grpc_gap.py                 # 5 interleaved rounds of 3 s per server
    python benchmarks/bench_grpc_gap.py --rounds 3 --seconds 2 --modes echo,node

Static-code ``VerifyQr`` is served by five servers, each in its own process, and measured with the
same client harness as ``bench_node.py`` (2 client processes x 4 threads, signed calls, signatures
computed before the timed window), round after round so the machine's load falls on all alike:

* ``echo``      - the trivial echo server of ``bench_node.py`` (16 threads);
* ``node-stub`` - the node's process and gRPC server (its handlers, options, metadata, background
  threads), but ``VerifyQr`` answers a fixed response without running any node code;
* ``node-auth`` - the same, after the node's authentication (HMAC-SM3 over the body, nonce);
* ``node``      - the reference node as ``ehc node serve`` runs it (16 worker threads);
* ``node-aio``  - every handler of the node run inline on a ``grpc.aio`` server (one event-loop
  thread: no worker threads to contend for the GIL; streams collected then run in a pool).

The servers are built from the node's own modules with one function replaced, in this file only:
the node itself has no switch for any of them. For each: calls/s, server CPU per call (from
/proc, every thread), p99, and the ratio to the echo server of the same round; medians over the
rounds with the spread. Read together they say what the node's own code costs under gRPC and
what the server model costs, which an in-process profile cannot show.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import threading
from concurrent import futures
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

MODES = ("echo", "node-stub", "node-auth", "node", "node-aio")


class _Abort(Exception):
    def __init__(self, code: Any, details: str) -> None:
        super().__init__(details)
        self.code, self.details = code, details


class _SyncContext:
    """What the node's behaviours use of a ServicerContext, over an aio context (abort deferred)."""

    __slots__ = ("_c",)

    def __init__(self, context: Any) -> None:
        self._c = context

    def invocation_metadata(self) -> Any:
        return self._c.invocation_metadata()

    def time_remaining(self) -> Any:
        return self._c.time_remaining()

    def is_active(self) -> bool:
        return True

    def abort(self, code: Any, details: str) -> None:
        raise _Abort(code, details)


def _aio_build_server(node: Any, address: str = "127.0.0.1:0", *, workers: int = 16, **_: Any) -> Any:
    """The node's handlers, each run inline on a grpc.aio server in its own event-loop thread."""
    import grpc

    from reference_node import server as srv

    auth = srv.Authenticator(node)
    cfg = node.config
    guard = srv.StreamGuard(
        cfg.max_streams or 8,
        cfg.max_streams_per_terminal,
        cfg.stream_idle_timeout_s,
        cfg.stream_max_lifetime_s,
    )
    sync = srv._Handlers(node, auth, guard)
    pool = futures.ThreadPoolExecutor(max_workers=workers)
    handlers: dict[str, Any] = {}
    for full, h in sync._handlers.items():
        if h.unary_unary is not None:

            def unary(behaviour: Any) -> Any:
                async def call(raw: bytes, context: Any) -> Any:
                    try:
                        return behaviour(raw, _SyncContext(context))
                    except _Abort as a:
                        await context.abort(a.code, a.details)

                return call

            handlers[full] = grpc.unary_unary_rpc_method_handler(
                unary(h.unary_unary), request_deserializer=None, response_serializer=h.response_serializer
            )
        else:

            def stream(behaviour: Any) -> Any:
                async def call(requests: Any, context: Any) -> Any:
                    items = [r async for r in requests]
                    loop = asyncio.get_running_loop()
                    out = await loop.run_in_executor(
                        pool, lambda: list(behaviour(iter(items), _SyncContext(context)))
                    )
                    for r in out:
                        yield r

                return call

            handlers[full] = grpc.stream_stream_rpc_method_handler(
                stream(h.stream_stream),
                request_deserializer=h.request_deserializer,
                response_serializer=h.response_serializer,
            )

    class Generic(grpc.GenericRpcHandler):
        def service(self, details: Any) -> Any:
            return handlers.get(details.method)

    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict[str, Any] = {}

    async def main() -> None:
        s = grpc.aio.server()
        s.add_generic_rpc_handlers((Generic(),))
        box["port"] = s.add_insecure_port(address)
        await s.start()
        box["server"] = s
        ready.set()
        await s.wait_for_termination()

    threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True).start()
    ready.wait(30)

    class Stopper:
        def stop(self, grace: float | None = None) -> Any:
            done = asyncio.run_coroutine_threadsafe(box["server"].stop(grace), loop)

            class Wait:
                def wait(self, timeout: float | None = None) -> None:
                    done.result(timeout)

            return Wait()

    class NoHealth:
        def enter_graceful_shutdown(self) -> None:
            pass

    return srv.GrpcServer(Stopper(), box["port"], NoHealth(), auth, guard)  # type: ignore[arg-type]


def _patch(mode: str) -> None:
    """Replace one function of the node for ``mode`` (this process only)."""
    from reference_node import runtime
    from reference_node import server as srv
    from reference_node.proto.ehc.node.v1 import verification_pb2 as vp

    if mode == "node-aio":
        runtime.build_server = _aio_build_server
        return
    if mode not in ("node-stub", "node-auth"):
        return
    original = srv._unary

    def unary(node: Any, auth: Any, full: str, op: Any, req_type: Any) -> Any:
        behaviour = original(node, auth, full, op, req_type)
        if not full.endswith("/VerifyQr"):
            return behaviour
        fixed = vp.VerifyResponse(surplus_num=1, verification_id="fixed")

        def stub(raw: bytes, context: Any) -> Any:
            if mode == "node-auth":
                auth.authenticate_metadata(full, context.invocation_metadata(), raw)
            return fixed

        return stub

    srv._unary = unary


def serve(mode: str, data_dir: str) -> None:
    """Child process: start the node of ``mode``, print one JSON line, serve until stdin closes."""
    _patch(mode)
    from reference_node import runtime
    from reference_node.config import NodeConfig

    node = runtime.start(data_dir, config=NodeConfig(rate_limit_per_s=0.0), workers=16)
    print(json.dumps({"target": node.target, "creds": node.credentials.to_dict()}), flush=True)
    sys.stdin.read()
    node.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--cards", type=int, default=300)
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated subset of " + ",".join(MODES))
    ap.add_argument("--serve", choices=MODES[1:], help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", help=argparse.SUPPRESS)
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    a = ap.parse_args()
    if a.serve:
        serve(a.serve, a.data_dir)
        return 0
    modes = [m.strip() for m in a.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown or "echo" not in modes:
        ap.error(
            f"--modes: {', '.join(unknown) or 'echo is required (the ratio is to it)'}; choose from {', '.join(MODES)}"
        )

    import bench_node

    from reference_node.client import Credentials, NodeClient
    from reference_node.proto.ehc.node.v1 import verification_pb2 as vp

    procs: dict[str, tuple[subprocess.Popen, dict]] = {}
    tmp = tempfile.TemporaryDirectory(prefix="bench-gap-")
    payloads: dict[str, tuple[list[bytes], dict | None]] = {}
    try:
        for mode in modes:
            # the echo is bench_node.py's own server (it prints its port); a node prints JSON
            child = ["-c", bench_node.ECHO_SERVER] if mode == "echo" else [__file__, "--serve", mode]
            p = subprocess.Popen(
                [sys.executable, *child, "--data-dir", str(Path(tmp.name) / mode)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            line = p.stdout.readline() if p.stdout else ""
            if not line:
                raise SystemExit(f"the {mode} server did not start (exit {p.poll()})")
            info: dict[str, Any] = (
                {"target": f"127.0.0.1:{line.strip()}"} if mode == "echo" else json.loads(line)
            )
            procs[mode] = (p, info)
            if mode == "echo":
                payloads[mode] = ([b"x" * 120], None)
                continue
            creds = Credentials.from_dict(info["creds"])
            with NodeClient(info["target"], creds) as c:
                regs = [
                    r
                    for res in c.issuance.RegisterBatch(bench_node.residents(a.cards, start=10_000_000))
                    for r in res.items
                ]
                ctx = c.context()
            payloads[mode] = (
                [vp.VerifyQrRequest(qr_text=r.ehcid + ":1", context=ctx).SerializeToString() for r in regs],
                info["creds"],
            )
        rows: dict[str, list[dict]] = {m: [] for m in modes}
        for rnd in range(a.rounds):
            shown = []
            for mode in modes:
                p, info = procs[mode]
                bodies, cred_dict = payloads[mode]
                kind = "echo" if mode == "echo" else "node"
                r = bench_node.measure(kind, info["target"], cred_dict, bodies, 2, 4, a.seconds, p.pid)
                rows[mode].append(r)
                shown.append(f"{mode} {r['rps']:.0f}/s {r['server_cpu_us_per_call']:.0f} us")
            print(f"round {rnd + 1}/{a.rounds}: " + " | ".join(shown), flush=True)
    finally:
        for mode, (p, _) in procs.items():
            if p.stdin:
                p.stdin.close()  # a node stops when its stdin closes
            if mode == "echo":
                p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        tmp.cleanup()

    summary: dict[str, Any] = {}
    for mode in modes:
        ratios = [r["rps"] / e["rps"] for r, e in zip(rows[mode], rows["echo"], strict=True)]
        cpu = [r["server_cpu_us_per_call"] for r in rows[mode]]
        summary[mode] = {
            "rps_median": statistics.median(r["rps"] for r in rows[mode]),
            "ratio_median": statistics.median(ratios),
            "ratio_min": min(ratios),
            "ratio_max": max(ratios),
            "cpu_us_median": statistics.median(cpu),
            "p99_ms_median": statistics.median(r["p99_ms"] for r in rows[mode]),
            "errors": sum(r["errors"] for r in rows[mode]),
        }
    if a.json:
        print(json.dumps(summary, indent=1))
    print(f"\n{'server':10s} {'calls/s':>8s} {'ratio to echo (min-max)':>26s} {'CPU/call':>9s} {'p99':>8s}")
    for mode, s in summary.items():
        print(
            f"{mode:10s} {s['rps_median']:8.0f} {s['ratio_median']:9.2f} ({s['ratio_min']:.2f}-{s['ratio_max']:.2f})"
            f"{'':8s} {s['cpu_us_median']:6.0f} us {s['p99_ms_median']:6.1f} ms"
            + (f"  errors {s['errors']}" if s["errors"] else "")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
