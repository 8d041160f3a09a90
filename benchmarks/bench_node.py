"""Benchmark of the reference node on this machine, next to a trivial gRPC echo server measured in
the same run (so the ratio, not the absolute figure, is what carries across machines).

    python benchmarks/bench_node.py                       # verification + 100,000-resident batch
    python benchmarks/bench_node.py --residents 20000 --seconds 5 --db postgresql://...

Verification: several client processes × threads call VerifyQr (signed, static and dynamic codes)
for ``--seconds``; the same harness calls an echo server's unary method. Latency percentiles come
from the raw samples. Batch: RegisterBatch of synthetic residents (one stream, chunks of 1000
records per transaction, per-item results). Output: a JSON summary (``--out``) and a table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ECHO_METHOD = "/bench.Echo/Echo"

ECHO_SERVER = """
import sys, grpc
from concurrent import futures
def echo(req, ctx):
    return req
h = grpc.method_handlers_generic_handler('bench.Echo', {'Echo': grpc.unary_unary_rpc_method_handler(echo)})
s = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
s.add_generic_rpc_handlers((h,))
port = s.add_insecure_port('127.0.0.1:0')
s.start()
print(port, flush=True)
s.wait_for_termination()
"""


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its live children (a ``--processes N`` node's
    workers), from Linux /proc: robust on a shared, noisy machine."""
    total = 0.0
    for p in [pid] + [int(e) for e in os.listdir("/proc") if e.isdigit()]:
        try:
            fields = _stat(p)
        except (OSError, IndexError):
            continue
        if p == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def percentile(sorted_samples: list[float], p: float) -> float:
    if not sorted_samples:
        return float("nan")
    k = min(len(sorted_samples) - 1, max(0, round(p / 100 * (len(sorted_samples) - 1))))
    return sorted_samples[k]


def _worker(
    kind: str,
    target: str,
    creds: dict | None,
    payloads: list[bytes],
    threads: int,
    seconds: float,
    q: mp.Queue,
) -> None:
    import grpc

    from reference_node.client import Credentials
    from reference_node.proto.ehc.node.v1 import verification_pb2 as vp

    samples: list[float] = []
    errors = 0
    lock = threading.Lock()
    ready = threading.Barrier(threads)

    def run(offset: int) -> None:
        nonlocal errors
        channel = grpc.insecure_channel(target)
        if kind == "echo":
            call = channel.unary_unary(ECHO_METHOD)
            make = lambda i: payloads[i % len(payloads)]  # noqa: E731
        elif kind == "report":
            # usage reports: every call a new request id (a durable insert, not a duplicate ack)
            from reference_node.auth import sign
            from reference_node.proto.ehc.node.v1 import usage_pb2 as up

            cred = Credentials.from_dict(creds)
            method = "/ehc.node.v1.UsageService/Report"
            call = channel.unary_unary(method)
            template = up.UsageRecord.FromString(payloads[0])
            bodies = []
            for k in range(int(seconds * 600)):
                template.request_id = f"b{os.getpid()}-{offset}-{k}"
                bodies.append(template.SerializeToString())
            presigned = [
                (b, tuple(sign(cred.secret, method, b, terminal_id=cred.terminal_id).items())) for b in bodies
            ]
            it = iter(presigned)

            def send(i: int):  # noqa: ANN202
                body, md = next(it, (None, None))
                if body is None:
                    template.request_id = f"b{os.getpid()}-{offset}-x{i}"
                    body = template.SerializeToString()
                    md = tuple(sign(cred.secret, method, body, terminal_id=cred.terminal_id).items())
                return call(body, metadata=md, timeout=10)
        else:
            # Signatures are computed before the timed window (fresh nonces, timestamps well inside
            # the replay window): on this 2-core machine the load generator's signing CPU would
            # otherwise be charged to the node, while the echo clients sign nothing. The node
            # still verifies every signature and nonce.
            from reference_node.auth import sign

            cred = Credentials.from_dict(creds)
            method = "/ehc.node.v1.VerificationService/VerifyQr"
            call = channel.unary_unary(method, response_deserializer=vp.VerifyResponse.FromString)
            presigned = [
                (p, tuple(sign(cred.secret, method, p, terminal_id=cred.terminal_id).items()))
                for p in (payloads[(offset + k) % len(payloads)] for k in range(int(seconds * 1200)))
            ]
            it = iter(presigned)

            def send(i: int):  # noqa: ANN202
                body, md = next(it, (None, None))
                if body is None:
                    body = payloads[i % len(payloads)]
                    md = tuple(sign(cred.secret, method, body, terminal_id=cred.terminal_id).items())
                return call(body, metadata=md, timeout=10)

        local: list[float] = []
        bad = 0
        i = offset
        ready.wait()  # every thread has prepared its calls: the timed window starts now
        stop_at = time.perf_counter() + seconds
        while True:
            t0 = time.perf_counter()
            if t0 >= stop_at:
                break
            try:
                call(make(i), timeout=10) if kind == "echo" else send(i)
            except grpc.RpcError:
                bad += 1
            local.append(time.perf_counter() - t0)
            i += 1
        with lock:
            samples.extend(local)
            errors += bad
        channel.close()

    ts = [threading.Thread(target=run, args=(k * 7919,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    q.put((samples, errors))


def measure(
    kind: str,
    target: str,
    creds: dict | None,
    payloads: list[bytes],
    procs: int,
    threads: int,
    seconds: float,
    server_pid: int,
) -> dict:
    q: mp.Queue = mp.get_context("spawn").Queue()
    ctx = mp.get_context("spawn")
    workers = [
        ctx.Process(target=_worker, args=(kind, target, creds, payloads, threads, seconds, q))
        for _ in range(procs)
    ]
    for w in workers:
        w.start()
    cpu0 = cpu_seconds(server_pid)
    results = [q.get(timeout=seconds + 120) for _ in workers]
    server_cpu = cpu_seconds(server_pid) - cpu0
    for w in workers:
        w.join()
    samples = sorted(s for r in results for s in r[0])
    errors = sum(r[1] for r in results)
    return {
        "kind": kind,
        "calls": len(samples),
        "errors": errors,
        "rps": len(samples) / seconds,
        "p50_ms": percentile(samples, 50) * 1000,
        "p99_ms": percentile(samples, 99) * 1000,
        "mean_ms": (statistics.fmean(samples) * 1000) if samples else float("nan"),
        "clients": procs * threads,
        "server_cpu_us_per_call": server_cpu / max(len(samples), 1) * 1e6,
    }


def residents(n: int, start: int = 0):
    from ehc.spec.identifiers import make_citizen_id
    from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip

    areas = ("370802", "370811", "370826", "370830", "370881")
    base = dt.date(1940, 1, 1)
    for k in range(start, start + n):
        birth = base + dt.timedelta(days=k % 30000)
        number = make_citizen_id(areas[k % len(areas)], birth, (k // 30000) % 1000)
        yield ip.RegisterRequest(
            application_mode="4", name=f"居民{k}", document_type="01", document_number=number,
            sex="1" if int(number[16]) % 2 else "2", nation="01", area_code=number[:6], request_id=f"R{k}",
        )  # fmt: skip


def chunks(records, size: int = 500):  # noqa: ANN001, ANN201
    from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip

    chunk = ip.RegisterChunk()
    for r in records:
        chunk.records.append(r)
        if len(chunk.records) >= size:
            yield chunk
            chunk = ip.RegisterChunk()
    if chunk.records:
        yield chunk


def batch(client, n: int, server_pid: int, chunked: bool = True) -> dict:  # noqa: ANN001
    cpu0 = cpu_seconds(server_pid)
    t0 = time.perf_counter()
    accepted = rejected = items = 0
    stream = (
        client.issuance.RegisterBatchChunks(chunks(residents(n)))
        if chunked
        else client.issuance.RegisterBatch(residents(n))
    )
    for res in stream:
        items += len(res.items)
        accepted, rejected = res.accepted_so_far, res.rejected_so_far
    elapsed = time.perf_counter() - t0
    server_cpu = cpu_seconds(server_pid) - cpu0
    return {
        "server_cpu_s": server_cpu,
        "per_server_cpu_second": n / server_cpu,
        "rpc": "RegisterBatchChunks" if chunked else "RegisterBatch",
        "residents": n,
        "accepted": accepted,
        "rejected": rejected,
        "results": items,
        "seconds": elapsed,
        "per_second": n / elapsed,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--procs", type=int, default=2, help="client processes")
    ap.add_argument("--threads", type=int, default=4, help="threads per client process")
    ap.add_argument("--cards", type=int, default=500)
    ap.add_argument("--residents", type=int, default=100_000)
    ap.add_argument("--db", default=None, help="postgresql://... (default: embedded SQLite)")
    ap.add_argument("--workers", type=int, default=16, help="node gRPC worker threads")
    ap.add_argument("--processes", type=int, default=1, help="node processes (ehc node serve --processes)")
    ap.add_argument("--skip-verify", action="store_true")
    ap.add_argument(
        "--per-record-stream", action="store_true", help="batch over RegisterBatch (one record per message)"
    )
    ap.add_argument(
        "--node-arg",
        action="append",
        default=[],
        help="extra `ehc node serve` argument (repeat), e.g. --shared-nonces",
    )
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()

    from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip
    from reference_node.proto.ehc.node.v1 import verification_pb2 as vp
    from reference_node.testing import start_node

    summary: dict = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "args": {k: str(v) for k, v in vars(a).items()},
    }
    tmp = Path(tempfile.mkdtemp(prefix="bench-node-"))
    # one terminal drives the whole load here: the per-terminal rate limit would measure itself
    args = ["--workers", str(a.workers), "--rate-limit", "0", "--processes", str(a.processes), *a.node_arg]
    node = start_node(tmp, a.db, subprocess=True, extra_args=args)
    echo = subprocess.Popen([sys.executable, "-c", ECHO_SERVER], stdout=subprocess.PIPE, text=True)
    try:
        echo_target = f"127.0.0.1:{echo.stdout.readline().strip()}"
        pid = node.process.pid
        with node.client() as c:
            if not a.skip_verify:
                regs = [
                    r
                    for res in c.issuance.RegisterBatch(residents(a.cards, start=10_000_000))
                    for r in res.items
                ]
                ctx = c.context()
                static = [
                    vp.VerifyQrRequest(qr_text=r.ehcid + ":1", context=ctx).SerializeToString() for r in regs
                ]
                dynamic = []
                for r in regs[:100]:
                    code = c.issuance.GetQrCode(
                        ip.GetQrCodeRequest(
                            ehcid=r.ehcid, code_type=0, lifetime_seconds=3600, max_verifications=100
                        )
                    )
                    dynamic.append(vp.VerifyQrRequest(qr_text=code.qr_text, context=ctx).SerializeToString())
                creds = node.credentials.to_dict()
                payload = [static[0]]
                summary["echo"] = measure(
                    "echo", echo_target, None, payload, a.procs, a.threads, a.seconds, echo.pid
                )
                summary["verify_static"] = measure(
                    "node", node.target, creds, static, a.procs, a.threads, a.seconds, pid
                )
                summary["verify_dynamic"] = measure(
                    "node",
                    node.target,
                    creds,
                    dynamic,
                    a.procs,
                    a.threads,
                    min(a.seconds, 100 * 100 / 2000),
                    pid,
                )
                from reference_node.config import fmt_time, now_cst
                from reference_node.proto.ehc.node.v1 import usage_pb2 as up

                record = up.UsageRecord(
                    request_id="x", time=fmt_time(now_cst()), org_code=node.credentials.org_code, use_city="370800",
                    scene="0101011", card_type="11", channel="0100", ehcid=regs[0].ehcid,
                )  # fmt: skip
                summary["report"] = measure(
                    "report",
                    node.target,
                    creds,
                    [record.SerializeToString()],
                    a.procs,
                    a.threads,
                    a.seconds,
                    pid,
                )
                summary["echo_again"] = measure(
                    "echo", echo_target, None, payload, a.procs, a.threads, a.seconds, echo.pid
                )
                echo_rps = (summary["echo"]["rps"] + summary["echo_again"]["rps"]) / 2
                summary["ratio_static_to_echo"] = summary["verify_static"]["rps"] / echo_rps
                summary["ratio_dynamic_to_echo"] = summary["verify_dynamic"]["rps"] / echo_rps
                summary["ratio_report_to_echo"] = summary["report"]["rps"] / echo_rps
                echo_p99 = (summary["echo"]["p99_ms"] + summary["echo_again"]["p99_ms"]) / 2
                for key in ("verify_static", "verify_dynamic", "report"):
                    summary[f"p99_ratio_{key}"] = summary[key]["p99_ms"] / echo_p99
            if a.residents:
                summary["batch"] = batch(c, a.residents, pid, chunked=not a.per_record_stream)
    finally:
        echo.terminate()
        node.stop()
    for key in ("echo", "verify_static", "verify_dynamic", "report", "echo_again"):
        if key in summary:
            s = summary[key]
            print(
                f"{key:15s} {s['rps']:8.0f} rps  p50 {s['p50_ms']:6.2f} ms  p99 {s['p99_ms']:6.2f} ms  "
                f"server CPU {s['server_cpu_us_per_call']:5.0f} us/call  errors {s['errors']}  clients {s['clients']}"
            )
    if "ratio_static_to_echo" in summary:
        echo_cpu = (
            summary["echo"]["server_cpu_us_per_call"] + summary["echo_again"]["server_cpu_us_per_call"]
        ) / 2
        summary["cpu_ratio_echo_to_static"] = echo_cpu / summary["verify_static"]["server_cpu_us_per_call"]
        print(
            f"throughput ratio verify(static)/echo {summary['ratio_static_to_echo']:.2f}, "
            f"verify(dynamic)/echo {summary['ratio_dynamic_to_echo']:.2f}; "
            f"server CPU per call echo/verify(static) {summary['cpu_ratio_echo_to_static']:.2f}"
        )
        print(
            f"report/echo {summary['ratio_report_to_echo']:.2f}; p99 vs echo: static "
            f"{summary['p99_ratio_verify_static']:.2f}, dynamic {summary['p99_ratio_verify_dynamic']:.2f}, "
            f"report {summary['p99_ratio_report']:.2f}"
        )
    if "batch" in summary:
        b = summary["batch"]
        print(
            f"batch registration ({b['rpc']}): {b['residents']} residents in {b['seconds']:.1f} s = {b['per_second']:.0f}/s "
            f"(accepted {b['accepted']}, rejected {b['rejected']}); node CPU {b['server_cpu_s']:.1f} s = "
            f"{b['per_server_cpu_second']:.0f} per CPU-second"
        )
    if a.out:
        a.out.write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
