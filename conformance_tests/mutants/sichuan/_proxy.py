"""Base of the ``node-sichuan`` mutants: a real HTTP server in front of the reference node's Sichuan
front door that behaves, as seen from outside, like a platform written carelessly from the
Mianyang interface document.

A mutant platform owns the app's MD5Key and AES key, as any platform does, so it can accept what it
should refuse (sign a request again after a check it skipped, decrypt and change ``bizContent``) or
answer what it should not (a plain ``bizContent``, code 0000 on a failure). The reference node
behind it runs unchanged.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from reference_node.platforms.sichuan_envelope import PATH, aes_key, decrypt_biz, digest, encrypt_biz, md5_key

from ...adapters.sichuan import SichuanPlatform, reference_aes_mode, start_reference_platform


class ProxyPlatform:
    """Subclass and override ``rewrite_request`` / ``rewrite_response``."""

    mutant_name = ""
    description = ""
    defect_class = ""
    catches: tuple[str, ...] = ()
    profile = "national"

    def __init__(self, upstream: str, secret: bytes, aes_mode: str) -> None:
        self.upstream = upstream
        self.md5_key = md5_key(secret)
        self.aes_key = aes_key(secret)
        self.aes_mode = aes_mode
        self.http = httpx.Client(base_url=upstream, timeout=30)
        self.lock = threading.Lock()

    # ------------------------------------------------------------------ hooks
    def rewrite_request(self, body: dict[str, Any]) -> dict[str, Any]:
        return body

    def rewrite_response(self, body: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        return out

    # ------------------------------------------------------------------ helpers for mutants
    def resign(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """What a platform that 'fixes up' an envelope does: sign it again with the app's key."""
        envelope["digest"] = digest(envelope, self.md5_key)
        return envelope

    def content(self, envelope: dict[str, Any]) -> dict[str, Any] | None:
        try:
            return decrypt_biz(self.aes_key, str(envelope.get("bizContent", "")), self.aes_mode)
        except ValueError:
            return None

    def with_content(self, envelope: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        envelope["bizContent"] = encrypt_biz(self.aes_key, content, self.aes_mode)
        return self.resign(envelope)

    # ------------------------------------------------------------------ plumbing
    def forward(self, raw: bytes) -> bytes:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if isinstance(body, dict):
            with self.lock:
                body = self.rewrite_request(body)
            out = self.http.post(PATH, json=body).json()
            with self.lock:
                out = self.rewrite_response(body, out)
            return json.dumps(out, ensure_ascii=False).encode("utf-8")
        return self.http.post(PATH, content=raw, headers={"Content-Type": "application/json"}).content

    def serve(self) -> tuple[ThreadingHTTPServer, str]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                data = proxy.forward(raw)
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
    def start(cls, run: Any) -> SichuanPlatform:
        running, tmp, url = start_reference_platform(run)
        creds = running.credentials
        mode = reference_aes_mode()
        mutant = cls(url, bytes(creds.secret), mode)
        server, proxy_url = mutant.serve()
        platform = SichuanPlatform(run, proxy_url, creds.terminal_id, creds.secret, mode)

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
            "adapter": f"node-sichuan:mutant:{cls.mutant_name}",
            "mutant": cls.description,
        }
        return platform
