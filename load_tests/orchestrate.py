"""One load run, driven from a normal (non-gevent) process: start the target, prepare test data,
run Locust in its own subprocess, write the outputs, judge the SLO.

Bounded by construction: a user count, a duration (the Locust process is killed if it overruns
by more than ``OVERRUN_GRACE_S``), optionally a request cap; traffic goes only to the named target.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ehc.errors import EhcError
from load_tests.dataset import echo_dataset
from load_tests.errors import LOAD_BAD_DURATION, LOAD_BAD_TARGET, LOAD_RUN_FAILED
from load_tests.population import DEFAULT_AREA, synthetic_population
from load_tests.recorder import bucket_for
from load_tests.report import write_outputs
from load_tests.scenarios import HTTP_SCENARIOS, check_name
from load_tests.slo import load_slo
from load_tests.targets import Target, parse_target, start_echo_server

__all__ = [
    "RunOptions",
    "Prepared",
    "check",
    "prepare",
    "run",
    "run_prepared",
    "parse_duration",
    "MAX_DURATION_S",
]

MAX_DURATION_S = 24 * 3600
OVERRUN_GRACE_S = 90.0
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)?$")


def parse_duration(text: str) -> float:
    m = _DURATION.match(text.strip())
    if not m:
        raise EhcError(LOAD_BAD_DURATION, f"bad duration {text!r}")
    value = float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]
    if not 0 < value <= MAX_DURATION_S:
        raise EhcError(LOAD_BAD_DURATION, f"duration must be between 0 and {MAX_DURATION_S} s")
    return value


@dataclass
class RunOptions:
    target: str
    scenario: str
    out: Path
    users: int = 10
    spawn_rate: float = 10.0
    duration_s: float = 60.0
    max_requests: int = 0
    workers: int = 0
    slo_file: str | None = None
    population: int = 200
    think_scale: float = 1.0
    pace: float = 0.0  # tasks per second per user (constant throughput); 0 = think times
    seed: int = 1
    area: str = DEFAULT_AREA
    shares: dict[str, float] = field(default_factory=dict)
    master_bind: str = "127.0.0.1"
    master_port: int = 0
    expect_workers_externally: bool = False
    credentials: str | None = None  # admin client file for HOST:PORT targets
    db_url: str | None = None  # reference target: PostgreSQL instead of SQLite
    http_url: str | None = None  # REST scenarios against HOST:PORT: the node's gateway base URL
    http: bool = False  # set from the scenario: the reference node also serves its REST gateway
    quiet: bool = False
    api: str = "node"  # "node" (ehc.node.v1 over gRPC/REST) or "tencent" (HealthCardOpenAPI envelope)
    runs_planned: int = 1  # Locust runs against one prepared target (bench: --pairs)


def _log(opts: RunOptions, msg: str) -> None:
    if not opts.quiet:
        print(msg, file=sys.stderr, flush=True)


@dataclass
class Prepared:
    """A started and seeded target, reusable for several Locust runs (``ehc load bench``)."""

    address: str  # what the Locust users dial: HOST:PORT, or a base URL for HTTP scenarios
    dataset: dict[str, Any]
    label: str
    mode: str  # "node" | "echo" | "tencent"
    kind: str  # the target's kind: "address" | "echo" | "reference" | "url"


def check(opts: RunOptions) -> Target | None:
    """Every check that needs no work: raises EhcError before anything is started.
    Returns the parsed gRPC target (None for --api tencent)."""
    if opts.api == "tencent":
        from load_tests.scenarios import TENCENT_PREFIX
        from load_tests.tencent_target import parse_tencent_target

        check_name(TENCENT_PREFIX + opts.scenario)
        parse_tencent_target(opts.target)
        target = None
    else:
        check_name(opts.scenario)  # fail fast on a bad name
        target = parse_target(opts.target)
        http = opts.scenario in HTTP_SCENARIOS
        if http and target.kind == "echo":
            raise EhcError(
                LOAD_BAD_TARGET,
                f"{opts.scenario} drives a REST gateway: use 'reference' or HOST:PORT with --http",
            )
        if http and target.kind == "address" and not opts.http_url:
            raise EhcError(
                LOAD_BAD_TARGET, f"{opts.scenario} against HOST:PORT needs --http URL of the node's gateway"
            )
        if target.kind == "address" and not (opts.credentials and Path(opts.credentials).is_file()):
            raise EhcError(
                LOAD_BAD_TARGET,
                f"target {opts.target} needs --client-file FILE: a client file with an admin credential "
                "(the client.json `ehc node serve` writes)",
            )
    if opts.slo_file:
        load_slo(opts.slo_file)
    if opts.users < 1 or opts.spawn_rate <= 0:
        raise EhcError(LOAD_RUN_FAILED, "users must be ≥ 1 and spawn rate > 0")
    return target


def prepare(opts: RunOptions, stack: ExitStack) -> Prepared:
    """Start what must be started and seed it (before any timed part)."""
    target = check(opts)
    people = synthetic_population(opts.population, seed=opts.seed, area=opts.area)
    if opts.api == "tencent":
        from load_tests.tencent_target import parse_tencent_target, prepare_tencent

        t = parse_tencent_target(opts.target)
        url, dataset, label = prepare_tencent(t, people, stack, None if opts.quiet else _log_line(opts))
        return Prepared(url, dataset, label, "tencent", t.kind)
    assert target is not None
    opts.http = opts.scenario in HTTP_SCENARIOS
    if target.kind == "echo":
        echo = stack.enter_context(start_echo_server())
        dynamic = min(1000, opts.population) if opts.scenario == "verify-only" else 0
        return Prepared(echo.address, echo_dataset(people, dynamic), f"echo ({echo.address})", "echo", "echo")
    from load_tests.seeding import prepare_node_target  # imports the node only when needed

    address, dataset = prepare_node_target(opts, target, people, stack)
    dataset["grpc_address"] = address  # the rate-limit probe speaks gRPC even for REST scenarios
    if opts.http:
        address = dataset.get("http_url") or ""
        if not address:
            raise EhcError(LOAD_BAD_TARGET, "the node did not report an HTTP gateway")
    label = address if target.kind == "address" else f"{target.kind} ({address})"
    return Prepared(address, dataset, label, "node", target.kind)


def _log_line(opts: RunOptions) -> Any:
    return lambda msg: _log(opts, msg)


def run(opts: RunOptions) -> dict[str, Any]:
    """Run once; returns the summary (with ``slo`` when a file was given). Raises EhcError."""
    check(opts)
    with ExitStack() as stack:
        return run_prepared(opts, prepare(opts, stack), progress=opts.scenario)


def run_prepared(opts: RunOptions, prep: Prepared, progress: str = "") -> dict[str, Any]:
    """One Locust run against an already prepared target. ``progress``: a phase label; the Locust
    process then prints seconds left and the running rate every few seconds (unless quiet)."""
    objectives = load_slo(opts.slo_file) if opts.slo_file else None
    opts.out.mkdir(parents=True, exist_ok=True)
    dataset = dict(prep.dataset)
    # a dynamic code's uses are shared by every run against this target (bench pairs) and, within
    # a run, by every Locust process (each counts its own uses)
    shares = max(1, opts.runs_planned) * max(1, opts.workers)
    dataset["dynamic_budget"] = int(dataset.get("dynamic_max_uses") or 0) // shares
    with tempfile.TemporaryDirectory(prefix="ehc-load-") as tmp:
        address, label = prep.address, prep.label
        _log(
            opts,
            f"target {label}: {len(dataset['persons']):,} residents ready; running {opts.scenario} "
            f"with {opts.users} users for {opts.duration_s:g} s",
        )
        dataset_file = Path(tmp) / "dataset.json"
        dataset_file.write_text(json.dumps(dataset, ensure_ascii=False))
        os.chmod(dataset_file, 0o600)  # test credentials and ID numbers: owner only
        data_out = Path(tmp) / "run.json"
        scenario = ("tencent:" + opts.scenario) if prep.mode == "tencent" else opts.scenario
        cfg = {
            "mode": prep.mode,
            "target": address,
            "target_label": label,
            "scenario": scenario,
            "users": opts.users,
            "spawn_rate": opts.spawn_rate,
            "duration_s": opts.duration_s,
            "max_requests": opts.max_requests,
            "workers": opts.workers,
            "spawn_workers": not opts.expect_workers_externally,
            "master_bind": opts.master_bind,
            "master_port": opts.master_port,
            "dataset_file": str(dataset_file),
            "data_out": str(data_out),
            "progress": "" if opts.quiet else progress,
            "settings": {
                "think_scale": opts.think_scale,
                "pace": opts.pace,
                "bucket_s": bucket_for(opts.duration_s),
                "seed": opts.seed,
                "area": opts.area,
                "shares": opts.shares,
            },
        }
        cfg_file = Path(tmp) / "config.json"
        cfg_file.write_text(json.dumps(cfg))
        started = time.time()
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "load_tests.runner", str(cfg_file)],
                timeout=opts.duration_s + OVERRUN_GRACE_S + (60 if opts.workers else 0),
                capture_output=opts.quiet,
                text=True,
            )
        except subprocess.TimeoutExpired:
            raise EhcError(LOAD_RUN_FAILED, "Locust process overran its duration and was killed") from None
        if proc.returncode != 0 or not data_out.exists():
            tail = (proc.stderr or "")[-800:] if opts.quiet else ""
            raise EhcError(LOAD_RUN_FAILED, f"Locust process exited {proc.returncode}. {tail}".strip())
        data = json.loads(data_out.read_text())
    data["meta"]["orchestrator_wall_s"] = time.time() - started
    if objectives is not None:
        data["slo"] = {"file": str(opts.slo_file), "objectives": [dataclasses.asdict(o) for o in objectives]}
    return write_outputs(opts.out, data)
