"""Base of the JSON-envelope platform mutants (``node-tencent``, ``node-sichuan``): a real HTTP server
in front of the reference node's envelope front door that behaves, as seen from outside, like a
platform written carelessly from the interface document.

A mutant platform owns the app's keys as any platform does, so it can accept what it should refuse
(sign a request again after a check it skipped) or answer what it should not. The reference node
behind it runs unchanged. The two roles differ only in their envelope, and each role's
``_proxy.ProxyPlatform`` says just that: which bodies it rewrites (``accepts``), where it posts them
(``upstream_path``), how its rewrite hooks are called, and how the role's adapter is built.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx


def stored_secret(running: Any, terminal_id: str) -> bytes | None:
    """An app's or terminal's credential secret from the vendor's own node behind a mutant
    platform (its credential table: what a vendor's front door checks an app against); None for
    an unknown one. Used by the ``cert-grpc-only`` platforms of node-qinghai and node-sichuan."""
    node = running.node
    row = node.db.one("SELECT secret_enc FROM credentials WHERE terminal_id = ?", (terminal_id,))
    return None if row is None else bytes(node.hsm.open(bytes(row[0])))


class EnvelopePlatform:
    """The HTTP plumbing and start-up shared by the envelope roles' mutant platforms."""

    mutant_name = ""
    description = ""
    defect_class = ""
    catches: tuple[str, ...] = ()
    profile = "national"
    #: the role whose adapter the mutant stands behind (its ``info()`` names it)
    role: ClassVar[str] = ""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.http = httpx.Client(base_url=upstream, timeout=30)
        self.lock = threading.Lock()

    # ------------------------------------------------------------------ what a role says
    def accepts(self, body: Any) -> bool:
        """A body the platform reads (and the mutant may rewrite); anything else is passed on."""
        return isinstance(body, dict)

    def upstream_path(self, path: str) -> str:
        """Where the upstream front door takes the request that came in on ``path``."""
        return path

    def on_request(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return body

    def on_response(self, path: str, body: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        return out

    @classmethod
    def start_reference(cls, run: Any) -> tuple[Any, Any, str]:
        """The reference node serving the role's envelope: (running node, temp dir, base URL)."""
        raise NotImplementedError

    @classmethod
    def create(cls, upstream: str, credentials: Any) -> EnvelopePlatform:
        """The mutant platform in front of ``upstream``, holding the app's ``credentials``."""
        raise NotImplementedError

    def adapter(self, run: Any, base_url: str, credentials: Any) -> Any:
        """The role's platform adapter reaching this mutant at ``base_url`` as the app."""
        raise NotImplementedError

    # ------------------------------------------------------------------ plumbing
    def forward(self, path: str, raw: bytes) -> bytes:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        target = self.upstream_path(path)
        if self.accepts(body):
            with self.lock:
                body = self.on_request(path, body)
            out = self.http.post(target, json=body).json()
            with self.lock:
                out = self.on_response(path, body, out)
            return json.dumps(out, ensure_ascii=False).encode("utf-8")
        return self.http.post(target, content=raw, headers={"Content-Type": "application/json"}).content

    def serve(self) -> tuple[ThreadingHTTPServer, str]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                data = proxy.forward(self.path, raw)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, f"http://127.0.0.1:{server.server_address[1]}"

    @classmethod
    def start(cls, run: Any) -> Any:
        """The reference node behind this mutant, served; the role's adapter pointed at it."""
        running, tmp, url = cls.start_reference(run)
        creds = running.credentials
        mutant = cls.create(url, creds)
        server, proxy_url = mutant.serve()
        platform = mutant.adapter(run, proxy_url, creds)

        reference = running  # the reference behind the mutant (the suites' operator steps)

        class _Owner:
            running = reference

            def stop(self) -> None:
                server.shutdown()
                server.server_close()
                mutant.http.close()
                running.stop()

        platform._owner, platform._tmp = _Owner(), tmp
        original_info = platform.info
        platform.info = lambda: {
            **original_info(),
            "adapter": f"{cls.role}:mutant:{cls.mutant_name}",
            "mutant": cls.description,
        }
        return platform


__all__ = ["EnvelopePlatform"]
