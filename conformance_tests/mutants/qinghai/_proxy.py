"""Base of the ``node-qinghai`` mutants: a real SOAP HTTP server in front of the reference node's
Qinghai front door that behaves, as seen from outside, like a platform written carelessly from the
QWB 002-2017 document.

The proxy serves the upstream WSDL (its address rewritten to the proxy), takes the ``action`` and
``message`` strings out of each SOAP call, lets the mutant rewrite them (with the sensitive fields
already decrypted when ``encryption`` is 1: a platform holds the app's keys) and rewrite the
``<response>`` string, then answers the SOAP envelope the upstream built. The reference node behind
it runs unchanged.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from lxml import etree

from reference_node.platforms.qinghai_envelope import (
    PATH,
    SENSITIVE_FIELDS,
    XmlRefused,
    build_flat,
    decrypt_field,
    encrypt_field,
    field_key,
    parse_flat,
    parse_response,
    user_pwd,
)

from ...adapters.qinghai import QinghaiPlatform, start_reference_platform

_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


class ProxyPlatform:
    """Subclass and override ``rewrite_call`` / ``rewrite_answer`` (or ``rewrite_raw``)."""

    mutant_name = ""
    description = ""
    defect_class = ""
    catches: tuple[str, ...] = ()
    profile = "national"
    #: a sensitive field that does not decrypt under encryption=1 is taken as plain text
    plain_when_undecryptable = False
    #: how the SOAP request itself is parsed (a DTD is passed to the upstream unless this resolves)
    soap_parser = _SAFE
    running: Any = None  # the reference node behind the proxy

    def __init__(self, upstream: str, user_name: str, secret: bytes, org_id: str) -> None:
        self.upstream = upstream
        self.user_name = user_name
        self.org_id = org_id
        self.secret = secret
        self.key = field_key(secret)
        self.password = user_pwd(secret)
        self.http = httpx.Client(base_url=upstream, timeout=30)
        self.lock = threading.Lock()
        self.base = ""

    # ------------------------------------------------------------------ hooks
    def rewrite_raw(self, action: str, message: str) -> tuple[str, str]:
        """Strings that are not flat DTD-free XML (the upstream refuses them unless changed here)."""
        return action, message

    def rewrite_call(self, action: dict[str, str], message: dict[str, str]) -> tuple[dict, dict]:
        """``message`` holds the sensitive fields decrypted (when they decrypt)."""
        return action, message

    def rewrite_answer(self, action: dict[str, str], answer: dict[str, Any]) -> dict[str, Any]:
        return answer

    # ------------------------------------------------------------------ helpers for mutants
    def encrypted(self, action: dict[str, str]) -> bool:
        return action.get("encryption") == "1"

    def decrypt_data(self, data: dict[str, Any]) -> dict[str, Any]:
        """The answer's sensitive fields back to plain text (what a platform that skips the
        answer's encryption sends)."""
        out = dict(data)
        for name, value in data.items():
            if name in SENSITIVE_FIELDS and isinstance(value, str) and value:
                try:
                    out[name] = decrypt_field(self.key, value)
                except ValueError:
                    pass
        return out

    # ------------------------------------------------------------------ plumbing
    def exchange(self, action_text: str, message_text: str) -> str:
        """One RHCMessageServer call through the mutant: the answer string."""
        try:
            action = parse_flat(action_text, "action")
            message = parse_flat(message_text, "message")
        except XmlRefused:
            with self.lock:
                action_text, message_text = self.rewrite_raw(action_text, message_text)
            return self.upstream_call(action_text, message_text)
        undecryptable: set[str] = set()
        plain = dict(message)
        if self.encrypted(action):
            for name, value in message.items():
                if name in SENSITIVE_FIELDS and value:
                    try:
                        plain[name] = decrypt_field(self.key, value)
                    except ValueError:
                        undecryptable.add(name)
        lenient = self.plain_when_undecryptable and bool(undecryptable)
        if lenient:
            undecryptable.clear()
        with self.lock:
            new_action, new_plain = self.rewrite_call(dict(action), dict(plain))
        if new_action != action:
            action_text = build_flat("action", new_action)
        if lenient or new_plain != plain or self.encrypted(new_action) != self.encrypted(action):
            encrypt = self.encrypted(new_action)
            message_text = build_flat(
                "message",
                {
                    k: encrypt_field(self.key, v)
                    if encrypt and k in SENSITIVE_FIELDS and v and k not in undecryptable
                    else v
                    for k, v in new_plain.items()
                },
            )
        answer_text = self.upstream_call(action_text, message_text)
        try:
            answer = parse_response(answer_text)
        except XmlRefused:
            return answer_text
        with self.lock:
            changed = self.rewrite_answer(new_action, parse_response(answer_text))
        return build_flat("response", changed) if changed != answer else answer_text

    def upstream_call(self, action: str, message: str) -> str:
        """A SOAP 1.1 call of the upstream (envelope built with lxml); its answer string, or the
        upstream's fault as a failure answer."""
        env, tns = "http://schemas.xmlsoap.org/soap/envelope/", "http://ehc-kit.local/qinghai/rhc"
        root = etree.Element(f"{{{env}}}Envelope", nsmap={"soap": env, "tns": tns})
        op = etree.SubElement(etree.SubElement(root, f"{{{env}}}Body"), f"{{{tns}}}RHCMessageServer")
        etree.SubElement(op, f"{{{tns}}}action").text = action
        etree.SubElement(op, f"{{{tns}}}message").text = message
        answer = self.http.post(
            PATH,
            content=etree.tostring(root, xml_declaration=True, encoding="utf-8"),
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"RHCMessageServer"'},
        )
        tree = etree.fromstring(answer.content, _SAFE)
        result = tree.find(f".//{{{tns}}}RHCMessageServerResult")
        if result is None:
            return build_flat(
                "response", {"result": "failure", "desc": "upstream fault", "resultCode": "1001"}
            )
        return result.text or ""

    def handle_post(self, raw: bytes) -> tuple[int, bytes]:
        tns = "http://ehc-kit.local/qinghai/rhc"
        try:
            if b"<!DOCTYPE" in raw and self.soap_parser is _SAFE:
                raise ValueError("a DTD: the upstream answers it")
            tree = etree.fromstring(raw, self.soap_parser)
            action_el = tree.find(f".//{{{tns}}}action")
            message_el = tree.find(f".//{{{tns}}}message")
            if action_el is None or message_el is None:
                raise ValueError("not an RHCMessageServer call")
        except (etree.XMLSyntaxError, ValueError):
            answer = self.http.post(PATH, content=raw, headers={"Content-Type": "text/xml; charset=utf-8"})
            return answer.status_code, answer.content
        out = self.exchange(action_el.text or "", message_el.text or "")
        env = "http://schemas.xmlsoap.org/soap/envelope/"
        root = etree.Element(f"{{{env}}}Envelope", nsmap={"soap11env": env, "tns": tns})
        body = etree.SubElement(
            etree.SubElement(root, f"{{{env}}}Body"), f"{{{tns}}}RHCMessageServerResponse"
        )
        etree.SubElement(body, f"{{{tns}}}RHCMessageServerResult").text = out
        return 200, etree.tostring(root, xml_declaration=True, encoding="utf-8")

    def serve(self) -> tuple[ThreadingHTTPServer, str]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, data: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                answer = proxy.http.get(self.path)
                wsdl = answer.content.replace(proxy.upstream.encode(), proxy.base.encode())
                self._send(answer.status_code, wsdl, "text/xml; charset=utf-8")

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, data = proxy.handle_post(raw)
                self._send(status, data, "text/xml; charset=utf-8")

            def log_message(self, *_args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, self.base

    @classmethod
    def start(cls, run: Any) -> QinghaiPlatform:
        running, tmp, url = start_reference_platform(run)
        creds = running.credentials
        mutant = cls(url, creds.terminal_id, bytes(creds.secret), creds.org_code)
        mutant.running = running  # the vendor's node (a mutant may read its own terminal table)
        server, proxy_url = mutant.serve()

        reference = running  # the reference behind the mutant (the suites' operator steps)

        class _Owner:
            running = reference

            def stop(self) -> None:
                server.shutdown()
                server.server_close()
                mutant.http.close()
                running.stop()

        try:
            platform = QinghaiPlatform(run, proxy_url, creds.terminal_id, creds.secret, creds.org_code)
        except BaseException:
            _Owner().stop()
            tmp.cleanup()
            raise
        platform._owner, platform._tmp = _Owner(), tmp
        original_info = platform.info
        platform.info = lambda: {  # type: ignore[method-assign]
            **original_info(),
            "adapter": f"node-qinghai:mutant:{cls.mutant_name}",
            "mutant": cls.description,
        }
        return platform
