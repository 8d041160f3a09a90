"""HTTP echo baseline: ``python -m load_tests.echo.http_server --port 0`` prints ``READY <port>``.

The baseline of ``ehc load bench --api tencent``: a trivial endpoint that reads the request body
and answers a fixed ``commonOut`` (resultCode 0) to any POST. It runs on the SAME server stack as
the reference node's gateway — FastAPI under uvicorn with the h11 protocol, one process, no access
log — so the ratio measures the node's work, not a faster HTTP server (docs/load.md).
"""

from __future__ import annotations

import argparse
import socket
import sys

from fastapi import FastAPI, Request
from fastapi.responses import Response

FIXED_ANSWER = b'{"commonOut":{"requestId":"","resultCode":0,"errMsg":""},"rsp":{"result":true}}'


def build_app() -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.post("/{path:path}")
    async def echo(path: str, request: Request) -> Response:
        await request.body()  # read like the node does before answering
        return Response(FIXED_ANSWER, media_type="application/json")

    return app


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((args.host, args.port))
    cfg = uvicorn.Config(build_app(), log_level="warning", access_log=False, lifespan="off", http="h11")
    server = uvicorn.Server(cfg)

    async def startup_and_announce(sockets: list[socket.socket] | None = None) -> None:
        await original_startup(sockets)
        print(f"READY {sock.getsockname()[1]}", flush=True)

    original_startup = server.startup
    server.startup = startup_and_announce  # type: ignore[method-assign]
    server.run(sockets=[sock])  # uvicorn handles SIGTERM/SIGINT itself
    return 0


if __name__ == "__main__":
    sys.exit(main())
