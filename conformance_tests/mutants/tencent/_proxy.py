"""Base of the ``node-tencent`` mutants: a real HTTP server in front of the reference node's Tencent
front door that behaves, as seen from outside, like a platform written carelessly from the docs.

A mutant platform owns the app secret as any platform does, so it can accept what it should refuse
(re-sign a request it failed to check, swap an old token for the current one) or answer what it
should not (a zero resultCode on a failure). The reference node behind it runs unchanged.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from reference_node.platforms.tencent_envelope import sign

from ...adapters.tencent import TencentPlatform, start_reference_platform


class ProxyPlatform:
    """Subclass and override ``rewrite_request`` / ``rewrite_response``."""

    mutant_name = ""
    description = ""
    defect_class = ""
    catches: tuple[str, ...] = ()
    profile = "national"

    def __init__(self, upstream: str, app_secret: str) -> None:
        self.upstream = upstream
        self.app_secret = app_secret
        self.http = httpx.Client(base_url=upstream, timeout=30)
        self.lock = threading.Lock()

    # ------------------------------------------------------------------ hooks
    def rewrite_request(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return body

    def rewrite_response(self, path: str, body: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        return out

    def resign(self, body: dict[str, Any]) -> dict[str, Any]:
        """What a platform that 'fixes up' a request does: sign it again with the app secret."""
        common = body.get("commonIn", {})
        common["sign"] = sign(common, body.get("req", {}), self.app_secret)
        return body

    # ------------------------------------------------------------------ plumbing
    def forward(self, path: str, raw: bytes) -> bytes:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if (
            isinstance(body, dict)
            and isinstance(body.get("commonIn"), dict)
            and isinstance(body.get("req", {}), dict)
        ):
            with self.lock:
                body = self.rewrite_request(path, body)
            answer = self.http.post(path, json=body)
            out = answer.json()
            with self.lock:
                out = self.rewrite_response(path, body, out)
            return json.dumps(out, ensure_ascii=False).encode("utf-8")
        return self.http.post(path, content=raw, headers={"Content-Type": "application/json"}).content

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
    def start(cls, run: Any) -> TencentPlatform:
        running, tmp, url = start_reference_platform(run)
        creds = running.credentials
        mutant = cls(url, creds.secret.hex())
        server, proxy_url = mutant.serve()
        platform = TencentPlatform(run, proxy_url, creds.terminal_id, creds.secret.hex(), creds.org_code)

        class _Owner:
            def stop(self) -> None:
                server.shutdown()
                server.server_close()
                mutant.http.close()
                running.stop()

        platform._owner, platform._tmp = _Owner(), tmp
        original_info = platform.info
        platform.info = lambda: {  # type: ignore[method-assign]
            **original_info(),
            "adapter": f"node-tencent:mutant:{cls.mutant_name}",
            "mutant": cls.description,
        }
        return platform
