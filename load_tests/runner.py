"""The Locust process: ``python -m load_tests.runner CONFIG.json`` (local or master) and
``python -m load_tests.runner --worker --master-host H --master-port P`` (a worker anywhere).

gevent monkey-patches everything it imports, so Locust always runs here, in its own process,
never inside the CLI or pytest. The master (or the single local process) writes ``run.json``:
the merged exact histograms, per-second data, Locust's own request counts (a cross-check) and
the run's metadata. Workers receive the target, test data and settings from the master in a
custom message, so a remote worker needs only the master's address.
"""

# ruff: noqa: E402  (the standard library must be patched for gevent before anything else loads)
from gevent import monkey

monkey.patch_all()

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import gevent
import grpc.experimental.gevent as grpc_gevent
import locust
from locust.env import Environment

grpc_gevent.init_gevent()  # before any channel exists

from load_tests.context import RunContext, current, set_current
from load_tests.recorder import Recorder
from load_tests.scenarios import all_user_classes, load_scenario

CONFIG_MESSAGE = "ehc_config"
READY_MESSAGE = "ehc_ready"
EXIT_MESSAGE = "ehc_exit"  # master -> worker: send what you have left and exit
FINAL_MESSAGE = "ehc_final"  # worker -> master: the last recorder drain
HELLO_MESSAGE = "ehc_hello"  # worker -> master once its handlers exist (worker_connect fires too early)
REPORT_KEY = "ehc_recorder"
WORKER_CONNECT_TIMEOUT_S = 60.0
FINAL_TIMEOUT_S = 15.0
PROGRESS_EVERY_S = 2.0
_T0 = time.time()


def _trace(msg: str) -> None:
    if os.environ.get("EHC_LOAD_TRACE"):
        print(f"[{time.time() - _T0:7.2f}s pid {os.getpid()}] {msg}", file=sys.stderr, flush=True)


def _attach_recorder(env: Environment, recorder: Recorder) -> None:
    def on_request(
        request_type: str,
        name: str,
        response_time: float,
        response_length: int,
        exception: BaseException | None = None,
        context: dict[str, Any] | None = None,
        start_time: float | None = None,
        **_: Any,
    ) -> None:
        outcome = "error" if exception is not None else (context or {}).get("outcome", "ok")
        recorder.add(
            name,
            outcome,
            float(response_time or 0.0),
            int(response_length or 0),
            when=start_time,
            error=None if exception is None else str(exception),
            code=str((context or {}).get("error_code", "")),
        )

    env.events.request.add_listener(on_request)


def _locust_totals(env: Environment) -> dict[str, Any]:
    total = env.stats.total
    return {"num_requests": int(total.num_requests), "num_failures": int(total.num_failures)}


def _user_errors(runner: Any) -> dict[str, Any]:
    """A crashing actor is a kit bug, not a node failure: count it and keep the first messages."""
    errs = list(getattr(runner, "exceptions", {}).values())
    return {
        "user_errors": sum(int(e.get("count", 0)) for e in errs),
        "user_error_samples": [str(e.get("msg", ""))[:300] for e in errs[:5]],
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _apply_pace(user_classes: list[Any], settings: dict[str, Any]) -> None:
    """``--pace R``: each user starts a task R times per second (Locust's constant_throughput)
    instead of thinking, so the offered load is fixed while the node keeps up."""
    pace = float(settings.get("pace") or 0)
    if pace > 0:
        from locust import constant_throughput

        for cls in user_classes:
            cls.wait_time = constant_throughput(pace)


def _run_context(cfg: dict[str, Any], dataset: dict[str, Any], index: int, count: int) -> RunContext:
    return RunContext(
        mode=cfg["mode"],
        dataset=dataset,
        settings=cfg.get("settings", {}),
        worker_index=index,
        worker_count=count,
    )


def _schedule_stop(
    env: Environment, cfg: dict[str, Any], recorder: Recorder, meta: dict[str, Any]
) -> gevent.Greenlet:
    """Stop after the duration, or earlier once ``max_requests`` were recorded."""
    duration = float(cfg["duration_s"])
    cap = int(cfg.get("max_requests") or 0)

    label = str(cfg.get("progress") or "")

    def watch() -> None:
        deadline = time.time() + duration
        last_t, last_n = time.time(), 0
        next_report = last_t + min(PROGRESS_EVERY_S, duration / 2)  # short runs report too
        while time.time() < deadline:
            if cap and recorder.count >= cap:
                meta["stopped_by"] = "max_requests"
                break
            gevent.sleep(0.2)
            now = time.time()
            if label and now >= next_report:  # a long run is never silent (unless --quiet)
                n = recorder.count
                rate = (n - last_n) / max(now - last_t, 1e-9)
                print(
                    f"  {label}: {max(deadline - now, 0):4.0f} s left, {rate:8.1f} rps, {n:,} requests",
                    file=sys.stderr,
                    flush=True,
                )
                last_t, last_n, next_report = now, n, now + PROGRESS_EVERY_S
        else:
            meta["stopped_by"] = "duration"
        meta["stopped_at"] = time.time()
        assert env.runner is not None  # the local runner is created before this greenlet starts
        env.runner.stop()

    return gevent.spawn(watch)


def run_local(cfg: dict[str, Any]) -> dict[str, Any]:
    dataset = json.loads(Path(cfg["dataset_file"]).read_text())
    set_current(_run_context(cfg, dataset, 0, 1))
    scenario = load_scenario(cfg["scenario"])
    _apply_pace(scenario.USER_CLASSES, cfg.get("settings", {}))
    env = Environment(
        user_classes=scenario.USER_CLASSES,
        host=cfg["target"],
        stop_timeout=float(cfg.get("stop_timeout_s", 5)),
    )
    recorder = Recorder(bucket_s=int(cfg.get("settings", {}).get("bucket_s", 1)))
    _attach_recorder(env, recorder)
    meta: dict[str, Any] = {}
    runner = env.create_local_runner()
    env.events.spawning_complete.add_listener(
        lambda user_count, **_: meta.setdefault("steady_from", time.time())
    )
    meta["started_at"] = time.time()
    runner.start(int(cfg["users"]), spawn_rate=float(cfg["spawn_rate"]))
    watcher = _schedule_stop(env, cfg, recorder, meta)
    watcher.join()
    meta.update(_user_errors(runner))
    runner.quit()
    meta["distinct_residents"] = len(current().presented)
    return {"meta": meta, "recorder": recorder.to_dict(), "locust": _locust_totals(env), "workers": 0}


def run_master(cfg: dict[str, Any]) -> dict[str, Any]:
    dataset = json.loads(Path(cfg["dataset_file"]).read_text())
    n_workers = int(cfg["workers"])
    scenario = load_scenario(cfg["scenario"])
    env = Environment(
        user_classes=scenario.USER_CLASSES,
        host=cfg["target"],
        stop_timeout=float(cfg.get("stop_timeout_s", 5)),
    )
    bind = cfg.get("master_bind", "127.0.0.1")
    port = int(cfg.get("master_port") or _free_port())
    runner = env.create_master_runner(master_bind_host=bind, master_bind_port=port)
    merged = Recorder(bucket_s=int(cfg.get("settings", {}).get("bucket_s", 1)))
    ready: set[str] = set()
    meta: dict[str, Any] = {"master": f"{bind}:{port}"}

    def on_worker_report(client_id: str, data: dict[str, Any]) -> None:
        if REPORT_KEY in data:
            merged.merge(Recorder.from_dict(data[REPORT_KEY]))

    def on_hello(environment: Any, msg: Any, **_: Any) -> None:
        client_id = msg.node_id
        index = runner.get_worker_index(client_id)
        payload = {
            "cfg": {k: cfg[k] for k in ("mode", "settings") if k in cfg},
            "dataset": dataset,
            "index": index,
            "count": n_workers,
        }
        runner.send_message(CONFIG_MESSAGE, payload, client_id)

    finals: set[str] = set()

    def on_final(environment: Any, msg: Any, **_: Any) -> None:
        merged.merge(Recorder.from_dict(msg.data))
        finals.add(msg.node_id)

    env.events.worker_report.add_listener(on_worker_report)
    runner.register_message(FINAL_MESSAGE, on_final)
    runner.register_message(HELLO_MESSAGE, on_hello)
    runner.register_message(READY_MESSAGE, lambda environment, msg, **_: ready.add(msg.node_id))
    env.events.spawning_complete.add_listener(
        lambda user_count, **_: meta.setdefault("steady_from", time.time())
    )

    procs = []
    if cfg.get("spawn_workers", True):
        for _ in range(n_workers):
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "load_tests.runner",
                        "--worker",
                        "--master-host",
                        "127.0.0.1" if bind in ("*", "0.0.0.0") else bind,
                        "--master-port",
                        str(port),
                    ]
                )
            )
    else:
        print(f"MASTER waiting for {n_workers} workers on {bind}:{port}", flush=True)
    _trace("workers spawned")
    deadline = time.time() + WORKER_CONNECT_TIMEOUT_S
    while len(ready) < n_workers and time.time() < deadline:
        gevent.sleep(0.1)
    if len(ready) < n_workers:
        runner.quit()
        for p in procs:
            p.kill()
        raise SystemExit(f"only {len(ready)} of {n_workers} workers connected")
    _trace("workers ready")
    meta["started_at"] = time.time()
    runner.start(int(cfg["users"]), spawn_rate=float(cfg["spawn_rate"]))
    _schedule_stop(env, cfg, merged, meta).join()
    _trace("stopped")
    # Each worker sends its last drain on request (exact, and faster than waiting for a report tick)
    for client_id in ready:  # Locust forgets stopped workers in runner.clients: use our own list
        runner.send_message(EXIT_MESSAGE, None, client_id)
    _trace(f"exit sent to {len(ready)} workers")
    deadline = time.time() + FINAL_TIMEOUT_S
    while len(finals) < len(ready) and time.time() < deadline:
        gevent.sleep(0.05)
    meta["workers_reported_final"] = len(finals)
    meta.update(_user_errors(runner))
    runner.quit()
    _trace("quit sent")
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
    _trace("workers exited")
    return {"meta": meta, "recorder": merged.to_dict(), "locust": _locust_totals(env), "workers": n_workers}


def run_worker(master_host: str, master_port: int) -> None:
    env = Environment(user_classes=all_user_classes())
    recorder = Recorder()
    _attach_recorder(env, recorder)
    runner = env.create_worker_runner(master_host, master_port)

    def on_config(environment: Environment, msg: Any, **_: Any) -> None:
        data = msg.data
        set_current(_run_context(data["cfg"], data["dataset"], int(data["index"]), int(data["count"])))
        recorder.bucket_s = int(data["cfg"].get("settings", {}).get("bucket_s", 1))
        _apply_pace(env.user_classes, data["cfg"].get("settings", {}))
        runner.send_message(READY_MESSAGE, None)

    def on_exit(environment: Environment, msg: Any, **_: Any) -> None:
        _trace("exit received")
        runner.stop()
        runner.send_message(FINAL_MESSAGE, recorder.drain())
        gevent.sleep(0.5)  # let the message leave the socket
        _trace("worker exits")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    runner.register_message(CONFIG_MESSAGE, on_config)
    runner.register_message(EXIT_MESSAGE, on_exit)
    _trace("worker connected")
    runner.send_message(HELLO_MESSAGE, None)
    env.events.report_to_master.add_listener(
        lambda client_id, data, **_: data.__setitem__(REPORT_KEY, recorder.drain())
    )
    runner.greenlet.join()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("config", nargs="?", help="run configuration JSON (local or master)")
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--master-host", default="127.0.0.1")
    parser.add_argument("--master-port", type=int, default=5557)
    args = parser.parse_args(argv)
    if args.worker:
        run_worker(args.master_host, args.master_port)
        # gRPC's gevent-integrated threads can keep a finished worker alive: its data is sent
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    cfg = json.loads(Path(args.config).read_text())
    data = run_master(cfg) if int(cfg.get("workers") or 0) > 0 else run_local(cfg)
    data["config"] = {k: v for k, v in cfg.items() if k not in ("dataset_file",)}
    data["meta"]["pid"] = os.getpid()
    data["meta"]["locust_version"] = locust.__version__
    Path(cfg["data_out"]).write_text(json.dumps(data, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
