"""The reference node for a load run, in its own process: ``python -m load_tests.refnode DIR``.

Prints ``READY {"target": ..., "client_file": ...}`` once serving; stops on SIGTERM. A separate
process keeps the node's CPU apart from the load generator's and the node's threads out of
Locust's gevent loop.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data_dir")
    parser.add_argument("--db-url", default=None, help="PostgreSQL URL; default SQLite in DATA_DIR")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--http", action="store_true", help="also serve the REST gateway on a free port")
    args = parser.parse_args(argv)
    from reference_node.runtime import start

    node = start(
        args.data_dir,
        db_url=args.db_url,
        grpc_address="127.0.0.1:0",
        workers=args.threads,
        http_port=0 if args.http else None,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    info = {"target": node.target, "client_file": str(node.client_file), "http_port": node.http_port}
    print("READY " + json.dumps(info), flush=True)
    stop.wait()
    node.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
