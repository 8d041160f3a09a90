"""Echo server: ``python -m load_tests.echo.server --port 0`` prints ``READY <port>`` and serves.

Generic handlers over raw bytes avoid codegen: the request bytes come back unchanged, so the
server does the least work any gRPC unary service can do.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from concurrent import futures

import grpc

from load_tests.echo import METHOD, SERVICE


def _echo(request: bytes, context: grpc.ServicerContext) -> bytes:
    return request


def build_server(host: str = "127.0.0.1", port: int = 0, threads: int = 16) -> tuple[grpc.Server, int]:
    """A started-ready (not yet started) echo server bound to host:port; returns it and the bound port."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=threads))
    handler = grpc.method_handlers_generic_handler(
        SERVICE, {METHOD: grpc.unary_unary_rpc_method_handler(_echo)}
    )
    server.add_generic_rpc_handlers((handler,))
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"cannot bind echo server to {host}:{port}")
    return server, bound


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args(argv)
    server, port = build_server(args.host, args.port, args.threads)
    server.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"READY {port}", flush=True)
    stop.wait()
    server.stop(grace=1).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
