"""Population import (issue #14): CPU per resident, in process and end to end.

In process (default): the node's registration path without gRPC — the kit's population records
as RegisterRequests in RegisterChunk messages through ``issuance.register_batch_chunks`` on a
fresh store — timed with ``time.process_time`` (CPU of this process, meaningful on a shared
machine) and split into validating/preparing and committing:

    python benchmarks/bench_import.py --residents 20000 [--db postgresql://...] [--profile]

End to end (``--e2e``): ``ehc node serve --processes N --rate-limit 0`` and ``ehc node import``
of a population file as two processes; prints wall rate, node CPU-seconds (``/proc/<pid>/stat`` of
the node and its workers) and client CPU-seconds per resident, and the load average before/after:

    python benchmarks/bench_import.py --e2e --population pop.jsonl [--processes 2] [--import-args "--connections 2"]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def population(path: str | None, n: int) -> list[dict[str, Any]]:
    if path:
        out = []
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    out.append(json.loads(line))
                    if len(out) >= n:
                        break
        return out
    from fixtures.population import PopulationConfig, generate

    return [json.loads(p.to_json()) for p in generate(PopulationConfig(count=n, seed=14))]


def in_process(a: argparse.Namespace) -> dict[str, Any]:
    from reference_node.cli import _chunks, person_request
    from reference_node.config import NodeConfig
    from reference_node.node import Caller
    from reference_node.runtime import start
    from reference_node.services import issuance

    people = population(a.population, a.residents)
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    running = start(tmp / "node", db_url=a.db, config=NodeConfig(rate_limit_per_s=0.0), write_endpoint=False)
    node = running.node
    assert node is not None
    creds = running.credentials
    caller = Caller(creds.terminal_id, creds.org_code, 1)
    try:
        t0 = time.process_time()
        requests = [person_request(d) for d in people]
        chunks = list(_chunks(iter(requests)))
        build = time.process_time() - t0
        prep = 0.0
        real_prepare = issuance.prepare

        def timed_prepare(*args: Any, **kw: Any) -> Any:
            nonlocal prep
            s = time.process_time()
            try:
                return real_prepare(*args, **kw)
            finally:
                prep += time.process_time() - s

        issuance.prepare = timed_prepare  # type: ignore[assignment]
        prof = None
        if a.profile:
            import cProfile

            prof = cProfile.Profile()
            prof.enable()
        backend = None  # PostgreSQL: this thread's server process, whose CPU the import also costs
        if node.db.dialect == "postgresql":
            backend = [node.db.one("SELECT pg_backend_pid()")[0]]  # type: ignore[index]
        s0 = _cpu_seconds(backend) if backend else 0.0
        w0, c0 = time.perf_counter(), time.process_time()
        accepted = 0
        results = []
        for result in issuance.register_batch_chunks(node, caller, iter(chunks)):
            accepted = result.accepted_so_far
            results.append(result)
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        server = (_cpu_seconds(backend) - s0) if backend else 0.0
        # guardians bound to children as ehc node import does: RegisterChunk.bindings, 2,000 each
        from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip

        found: dict[str, str] = {}
        for result in results:
            for it in result.items:
                if it.ok:
                    found[requests[it.index].document_number] = it.ehcid
        bindings = [
            ip.BindFamilyRequest(
                guardian_ehcid=found[d["guardian_id_number"]], member_ehcid=found[r.document_number]
            )
            for d, r in zip(people, requests, strict=True)
            if d.get("guardian_id_number") in found and r.document_number in found
        ]
        bind_chunks = [
            ip.RegisterChunk(bindings=bindings[i : i + 2000]) for i in range(0, len(bindings), 2000)
        ]
        b_w0, b_c0 = time.perf_counter(), time.process_time()
        bound = 0
        for result in issuance.register_batch_chunks(node, caller, iter(bind_chunks)):
            bound = result.bound_so_far
        b_cpu, b_wall = time.process_time() - b_c0, time.perf_counter() - b_w0
        if prof is not None:
            import pstats

            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        issuance.prepare = real_prepare  # type: ignore[assignment]
        n = len(people)
        return {
            "mode": "in-process",
            "store": node.db.dialect,
            "residents": n,
            "accepted": accepted,
            "client_build_us": round(build / n * 1e6, 1),
            "node_cpu_us": round(cpu / n * 1e6, 1),
            "prepare_us": round(prep / n * 1e6, 1),
            "commit_us": round((cpu - prep) / n * 1e6, 1),
            "wall_rate": round(n / wall),
            "pg_server_cpu_us": round(server / n * 1e6, 1),
            "bindings": bound,
            "bind_cpu_us": round(b_cpu / max(bound, 1) * 1e6, 1),
            "bind_wall_s": round(b_wall, 2),
        }
    finally:
        running.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def _pg_server_cpu(url: str, node_pids: list[int]) -> float:
    """CPU-seconds of the PostgreSQL server processes serving the node's connections (their
    application_name is "ehc-node PID"; they start with the node, so their total is the import's
    plus a little start-up). Only meaningful with the server on this machine."""
    import psycopg

    names = [f"ehc-node {pid}" for pid in node_pids]
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = ANY(%s)", (names,)
        ).fetchall()
    return _cpu_seconds([r[0] for r in rows])


def _children(pid: int) -> list[int]:
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    except OSError:
        return []
    return [int(x) for x in out.split()]


def end_to_end(a: argparse.Namespace) -> dict[str, Any]:
    import socket

    ehc = str(Path(sys.executable).with_name("ehc"))
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-e2e-"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = [ehc, "node", "serve", "--data-dir", str(tmp), "--grpc-port", str(port), "--rate-limit", "0",
            "--processes", str(a.processes)]  # fmt: skip
    if a.db:
        args += ["--db", a.db]
    log = (tmp / "serve.log").open("w")
    serve = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "listening" not in (tmp / "serve.log").read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        pids = [serve.pid, *_children(serve.pid)]
        load0 = os.getloadavg()
        c0, w0 = _cpu_seconds(pids), time.perf_counter()
        imp = subprocess.run(
            [ehc, "node", "import", "--population", a.population, "--data-dir", str(tmp), "--target",
             f"127.0.0.1:{port}", "--restart", *([] if a.no_quiet else ["--quiet"]), *shlex.split(a.import_args)],
            capture_output=True, text=True,
        )  # fmt: skip
        wall = time.perf_counter() - w0
        node_cpu = _cpu_seconds(pids) - c0
        server_cpu = _pg_server_cpu(a.db, pids) if a.db else 0.0
        import resource  # the client's CPU: the only child this process waited for

        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        client_cpu = ru.ru_utime + ru.ru_stime
        load1 = os.getloadavg()
        if imp.returncode != 0:
            raise SystemExit(f"import failed: {imp.stderr[-2000:]}")
        summary = json.loads(imp.stdout)
        n = summary["records"]
        return {
            "mode": "end-to-end",
            "store": "postgresql" if a.db else "sqlite",
            "processes": a.processes,
            "import_args": a.import_args,
            "residents": n,
            "accepted": summary["accepted"],
            "guardians_bound": summary["guardians_bound"],
            "wall_s": round(wall, 2),
            "rate": round(n / wall),
            "node_cpu_s": round(node_cpu, 2),
            "node_cpu_us": round(node_cpu / n * 1e6, 1),
            "pg_server_cpu_s": round(server_cpu, 2),
            "pg_server_cpu_us": round(server_cpu / n * 1e6, 1),
            "client_cpu_s": round(client_cpu, 2),
            "client_cpu_us": round(client_cpu / n * 1e6, 1),
            "load_before": [round(x, 2) for x in load0],
            "load_after": [round(x, 2) for x in load1],
        }
    finally:
        serve.terminate()
        try:
            serve.wait(30)
        except subprocess.TimeoutExpired:
            serve.kill()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--residents", type=int, default=20000)
    p.add_argument("--population", default=None, help="JSON lines (ehc fixtures population)")
    p.add_argument("--db", default=None, help="postgresql://... (default: SQLite in a temp dir)")
    p.add_argument("--profile", action="store_true", help="cProfile the in-process run")
    p.add_argument("--e2e", action="store_true", help="serve + ehc node import as two processes")
    p.add_argument("--processes", type=int, default=1)
    p.add_argument("--import-args", default="")
    p.add_argument("--no-quiet", action="store_true", help="an older ehc node import without --quiet")
    a = p.parse_args()
    if a.e2e and not a.population:
        p.error("--e2e needs --population")
    print(json.dumps(end_to_end(a) if a.e2e else in_process(a)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
