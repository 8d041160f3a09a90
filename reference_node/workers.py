"""``ehc node serve --processes N``: N node processes on one port (SO_REUSEPORT) and one store.

One process cannot go much past what grpcio's sync server machinery allows on one core (issue
#14: 90 % of static-verification samples were in it), so the node scales by processes. The
supervisor (this module, in the ``ehc node serve`` process):

* prepares the store once (migrations, demo identities, client.json), so the workers never race
  to create credentials;
* reserves the port(s): a bound, non-listening socket with SO_REUSEPORT keeps a port chosen for
  ``--grpc-port 0`` while the workers bind it too (the kernel spreads connections over listeners
  only, so the reservation takes no traffic);
* starts N workers (``python -c`` + a pickled argument block on stdin; each reports its target
  on stdout when it listens), restarts one that dies, and writes endpoint.json with its own pid
  once all listen;
* on SIGTERM/SIGINT stops the workers (each commits its queue and closes the store).

Workers die with the supervisor (PR_SET_PDEATHSIG): a SIGKILL of the supervisor leaves no orphan
serving the port. What is shared between processes lives in the store: usage reports and
dynamic-code counters (atomic statements, group-committed per process), nonces (``shared_nonces``
is turned on), card changes (the change feed). Metrics: each worker writes its own file under
``<data dir>/metrics`` (prometheus_client multiprocess mode) and /metrics of any worker adds them
all up. What stays per process: the card cache (bounded by ``change_poll_ms``), the rate limiter
(per connection's process: docs/node.md), gRPC stream slots.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from reference_node.observability import MULTIPROC_ENV, log, reset_multiprocess_dir

LOG = logging.getLogger("reference_node")

MULTI_PROCESS_POLL_MS = 100  # change feed poll of each worker (one indexed read; 10/s per process)
_ENTRY = "from reference_node.workers import worker_main; worker_main()"


def default_processes() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def reserve_port(host: str, port: int, option: str = "--grpc-port") -> socket.socket:
    """A bound (not listening) SO_REUSEPORT socket holding ``port`` (0: a free one) for the workers.

    A port another program (or another node) holds is refused first: with SO_REUSEPORT alone the
    kernel would let this node bind it too and split the connections between the two."""
    from ehc.errors import EhcError
    from reference_node.errors import PORT_BUSY

    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    address = (host.strip("[]") or "0.0.0.0", port)
    if port:
        probe = socket.socket(family, socket.SOCK_STREAM)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise EhcError(
                PORT_BUSY,
                f"cannot listen on {host}:{port} ({exc.strerror}): pass {option} with a free port (0 = any)",
            ) from None
        finally:
            probe.close()
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


def _die_with_parent(parent: int) -> None:
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:  # pragma: no cover - not Linux: the supervisor's stop() still ends workers
        return
    if os.getppid() != parent:  # the supervisor died before prctl took effect
        os._exit(1)


def worker_main() -> None:
    """Entry of a worker process: read the argument block, start the node, report, serve."""
    args: dict[str, Any] = pickle.loads(sys.stdin.buffer.read())
    _die_with_parent(args.pop("parent"))
    from reference_node.observability import setup_logging
    from reference_node.runtime import start

    setup_logging(args.pop("log_level"))
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    running = start(**args, reuse_port=True, write_endpoint=False)
    sys.stdout.write(json.dumps({"target": running.target, "http_port": running.http_port}) + "\n")
    sys.stdout.flush()
    done.wait()
    running.stop()


class Supervisor:
    """N worker processes sharing one port and one store."""

    def __init__(self, n: int, start_kwargs: dict[str, Any], log_level: str = "INFO") -> None:
        self.n = n
        self.kwargs = dict(start_kwargs)
        self.log_level = log_level
        self.workers: list[subprocess.Popen | None] = [None] * n
        self.target = ""
        self.http_port: int | None = None
        self._stopping = threading.Event()
        self._reserved: list[socket.socket] = []
        self.restarts = 0
        self.metrics_dir: Path | None = None

    def prepare(self) -> None:
        """Migrate, provision the demo identities and client.json once; reserve the ports."""
        from reference_node.hsm import SoftwareHsm, resolve_kek
        from reference_node.node import Node
        from reference_node.runtime import default_data_dir, ensure_keys, private_data_dir, provision_demo
        from reference_node.store.db import open_database

        kw = self.kwargs
        config = kw["config"]
        if not config.shared_nonces:
            # a replay sent to another worker is only caught through the store (REL-F7)
            kw["config"] = config = replace(config, shared_nonces=True)
        if config.change_poll_ms > MULTI_PROCESS_POLL_MS:
            # a card changed through one worker is dropped from the others' caches within one poll:
            # a static code scanned right after a suspension must not meet a stale cache for long
            kw["config"] = config = replace(config, change_poll_ms=MULTI_PROCESS_POLL_MS)
        host, port = kw["grpc_address"].rsplit(":", 1)
        grpc_sock = reserve_port(host, int(port))
        self._reserved.append(grpc_sock)
        port_no = grpc_sock.getsockname()[1]
        kw["grpc_address"] = f"{host}:{port_no}"
        if kw.get("http_port") is not None:
            http_sock = reserve_port(kw.get("http_host", "127.0.0.1"), int(kw["http_port"]), "--http-port")
            self._reserved.append(http_sock)
            kw["http_port"] = self.http_port = http_sock.getsockname()[1]
        data = Path(kw["data_dir"]) if kw.get("data_dir") else default_data_dir()
        private_data_dir(data)
        kw["data_dir"] = str(data)
        # prometheus_client multiprocess mode: one mmap file per worker, /metrics of any adds them up
        self.metrics_dir = reset_multiprocess_dir(data / "metrics")
        kek = resolve_kek(kw.get("kek_file"))
        hsm = SoftwareHsm.from_file(ensure_keys(data, kw.get("keys"), kek), kek)
        db = open_database(kw.get("db_url"), data, config.sqlite_synchronous)
        node = Node.open(config, hsm, db)
        try:
            shown = "127.0.0.1" if host in ("0.0.0.0", "[::]", "") else host
            self.target = f"{shown}:{port_no}"
            provision_demo(node, data, self.target, config.node_id, kek)
        finally:
            node.close()

    def _spawn(self, i: int) -> subprocess.Popen:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        env[MULTIPROC_ENV] = str(self.metrics_dir)  # read by prometheus_client at its import
        proc = subprocess.Popen(
            [sys.executable, "-c", _ENTRY], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        assert proc.stdin is not None
        block = dict(self.kwargs, parent=os.getpid(), log_level=self.log_level)
        proc.stdin.write(pickle.dumps(block))
        proc.stdin.close()
        self.workers[i] = proc
        return proc

    def _await(self, proc: subprocess.Popen, timeout: float = 120.0) -> None:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # closed if the worker dies: no hang
        if not line:
            raise RuntimeError(f"node worker {proc.pid} exited with {proc.wait(timeout)} before listening")

    def start(self) -> None:
        self.prepare()
        procs = [self._spawn(i) for i in range(self.n)]
        try:
            for p in procs:
                self._await(p)
        except Exception:
            self.stop()
            raise
        data = Path(self.kwargs["data_dir"])
        (data / "endpoint.json").write_text(
            json.dumps({
                "target": self.target, "http_port": self.http_port, "pid": os.getpid(),
                "workers": [p.pid for p in procs],
            })
        )  # fmt: skip
        log(LOG, logging.INFO, "node processes listening", grpc=self.target, processes=self.n,
            workers=[p.pid for p in procs])  # fmt: skip
        threading.Thread(target=self._watch, name="worker-watch", daemon=True).start()

    def _watch(self) -> None:
        """Restart a worker that died (crash, OOM kill, SIGKILL): the others keep serving meanwhile."""
        while not self._stopping.wait(0.5):
            for i, p in enumerate(self.workers):
                if p is None or p.poll() is None or self._stopping.is_set():
                    continue
                log(LOG, logging.WARNING, "node worker died; restarting", pid=p.pid, returncode=p.returncode)
                try:
                    self._await(self._spawn(i))
                    self.restarts += 1
                except Exception as exc:  # noqa: BLE001 - try again on the next round
                    log(LOG, logging.ERROR, "node worker restart failed", error=str(exc)[:200])
                    time.sleep(2)

    def stop(self, timeout: float = 15.0) -> None:
        self._stopping.set()
        live = [p for p in self.workers if p is not None and p.poll() is None]
        for p in live:
            p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for p in live:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        for s in self._reserved:
            s.close()
        self._reserved.clear()
