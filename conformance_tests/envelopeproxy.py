"""An HTTP proxy between a HIS built against the Tencent HealthCardOpenAPI envelope and the kit's
node (its Tencent front door): the kit's own record of what the HIS sent, and a fault injector.

It gives the suites the SAME record interface as the gRPC ``faultproxy.FaultProxy``: every envelope
call becomes a ``ProxyCall`` named after the node service it reaches (verifyQRCode → VerifyQr,
reportHISData → Report, registerHealthCard → Register, bindCardRelation → LinkMedium,
getHealthCardByQRCode → Resolve, getHealthCardByHealthCardId → GetCard, …) whose ``request`` has the
attributes the suites read (``qr_text``, ``identifier``, ``medium``, ``request_id`` =
``commonIn.requestId``, ``scene``, ``card_type``, ``time`` as YYYYMMDDHHMMSS, ``org_code``, …), and
``status`` is ``OK`` or the name of the ``commonOut.resultCode`` the HIS received.

Faults, per node method suffix (the same suffixes as the gRPC proxy), for the next N calls (the
transcript and fault table are ``proxycore.CallRecorder``, shared with the gRPC proxy):

* ``fail_next``       answer ``resultCode`` 30001 (service unavailable, retry) without forwarding:
  nothing happened at the node (the envelope has no gRPC status; 30001 is its "retry" answer);
* ``drop_reply_next`` forward to the node, then close the connection without an answer: the node
  committed, the HIS never learns it — a HIS that retries with a new requestId creates a duplicate.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass, field, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from reference_node.platforms.tencent_envelope import OPERATION_PREFIX, RESULT_CODES, TOKEN_PATH

from .proxycore import FORWARDED, CallRecord, CallRecorder

_RESULT_NAMES = {number: name for name, number in RESULT_CODES.items()}
#: envelope operation -> the node method it reaches (names as the gRPC proxy records them)
NODE_METHOD = {
    "getAppToken": "/tencent/getAppToken",
    "verifyQRCode": "/ehc.node.v1.VerificationService/VerifyQr",
    "getHealthCardByQRCode": "/ehc.node.v1.MainIndexService/Resolve",
    "getHealthCardByHealthCardId": "/ehc.node.v1.IssuanceService/GetCard",
    "registerHealthCard": "/ehc.node.v1.IssuanceService/Register",
    "registerBatchHealthCard": "/ehc.node.v1.IssuanceService/RegisterBatch",
    "getDynamicQRCode": "/ehc.node.v1.IssuanceService/GetQrCode",
    "reportHISData": "/ehc.node.v1.UsageService/Report",
    "bindCardRelation": "/ehc.node.v1.MainIndexService/LinkMedium",
    "updateHealthCardId": "/ehc.node.v1.IssuanceService/UpgradeTemporary",
}
# main_index_pb2.Medium numbers, kept here so the proxy needs no generated code
MEDIUM_CITIZEN_ID, MEDIUM_EHC_QR, MEDIUM_HOSPITAL_CARD = 1, 4, 7
MEDIUM_OF_ID_TYPE = {"01": MEDIUM_CITIZEN_ID}


@dataclass
class EnvelopeRequest:
    """What one envelope call asked of the node, under the node's field names."""

    operation: str = ""
    request_id: str = ""  # commonIn.requestId (reportHISData: the usage record's idempotency key)
    qr_text: str = ""
    ehcid: str = ""
    identifier: str = ""
    issuer: str = ""
    medium: int = 0
    card_number: str = ""
    card_type: str = ""
    scene: str = ""
    medical_step: str = ""
    department: str = ""
    channel: str = ""
    payment_category: str = ""
    time: str = ""  # YYYYMMDDHHMMSS (the envelope's yyyy-MM-dd HH:mm:ss converted; kept raw if not)
    org_code: str = ""  # req.hospitalCode, else commonIn.hospitalId
    terminal_id: str = ""  # the app the token was issued to (appId = terminal id)
    app_id: str = ""


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _time14(text: str) -> str:
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").strftime("%Y%m%d%H%M%S")
    except ValueError:
        return text


def translate(operation: str, body: Any, app_of_token: dict[str, str]) -> EnvelopeRequest:
    """The node-side reading of one envelope body (a malformed body gives an empty request)."""
    common = body.get("commonIn") if isinstance(body, dict) else None
    req = body.get("req") if isinstance(body, dict) else None
    common = common if isinstance(common, dict) else {}
    req = req if isinstance(req, dict) else {}
    r = EnvelopeRequest(operation=operation, request_id=_text(common.get("requestId")))
    r.org_code = _text(req.get("hospitalCode")) or _text(common.get("hospitalId"))
    r.app_id = _text(req.get("appId")) if operation == "getAppToken" else ""
    r.terminal_id = app_of_token.get(_text(common.get("appToken")), "")
    text = _text(req.get("qrCodeText"))
    r.qr_text = text
    if operation == "verifyQRCode":
        r.medical_step = _text(req.get("medicalStep"))
        r.channel = _text(req.get("channelCode"))
        r.time = _time14(_text(req.get("time")))
    elif operation == "getHealthCardByQRCode":
        r.medium, r.identifier = MEDIUM_EHC_QR, text
    elif operation in ("getHealthCardByHealthCardId", "getDynamicQRCode"):
        r.ehcid = _text(req.get("healthCardId"))
    elif operation == "registerHealthCard":
        r.identifier = _text(req.get("idNumber"))
        r.medium = MEDIUM_OF_ID_TYPE.get(_text(req.get("idType")) or "01", 0)
        r.issuer = _text(req.get("patid"))  # a hospital card linked on the way, if any
    elif operation == "reportHISData":
        r.ehcid = text[:64]  # as the node reads it
        r.card_number = _text(req.get("idCardNumber"))
        r.card_type = _text(req.get("cardType"))
        r.scene = _text(req.get("scene"))
        r.medical_step = r.scene[:6]
        r.department = _text(req.get("department"))
        r.channel = _text(req.get("cardChannel"))
        r.payment_category = _text(req.get("cardCostTypes"))
        r.time = _time14(_text(req.get("time")))
    elif operation == "bindCardRelation":
        r.medium, r.identifier = MEDIUM_HOSPITAL_CARD, _text(req.get("patid"))
        r.issuer = _text(common.get("hospitalId"))
    return r


@dataclass
class ProxyCall(CallRecord):
    """One envelope call the HIS made, as the proxy saw it (the record of faultproxy.ProxyCall);
    ``status`` is the RESULT_CODES name the HIS received (OK = resultCode 0)."""

    request: EnvelopeRequest = field(default_factory=EnvelopeRequest)
    detail: str = ""  # commonOut.errMsg of a refusal (never holds an ID number)

    def details(self) -> dict[str, Any]:
        out: dict[str, Any] = {"detail": self.detail} if self.detail else {}
        for f in fields(EnvelopeRequest):
            value = getattr(self.request, f.name)
            if value:
                out[f.name] = value
        return out


class EnvelopeProxy(CallRecorder[ProxyCall]):
    """``base_url`` is what the HIS is told; ``upstream`` the node's Tencent front door."""

    def __init__(self, upstream: str, listen: str | None = None) -> None:
        super().__init__()
        self.upstream = httpx.Client(base_url=upstream.rstrip("/"), timeout=30.0)
        self._app_of_token: dict[str, str] = {}  # guarded by the recorder's lock
        host, port = ("127.0.0.1", 0)
        if listen:
            h, _, p = listen.rpartition(":")
            host, port = h or "127.0.0.1", int(p)
        self.server = ThreadingHTTPServer((host, port), _handler(self))
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base_url = f"http://{host}:{self.port}"
        self.target = self.base_url
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="ehc-envelope-proxy", daemon=True
        )
        self._thread.start()

    # ------------------------------------------------------------------ forwarding
    def handle(self, path: str, raw: bytes) -> tuple[int, bytes | None]:
        """(HTTP status, body) for the HIS; body None = close the connection without an answer."""
        if path == TOKEN_PATH:
            operation = "getAppToken"
        elif path.startswith(OPERATION_PREFIX):
            operation = path[len(OPERATION_PREFIX) :][:64]
        else:
            return 404, b'{"detail":"Not Found"}'
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            body = None
        method = NODE_METHOD.get(operation, f"/tencent/{operation}")
        call, refuse, drop = self.record(
            lambda seq: ProxyCall(
                seq, method, FORWARDED, request=translate(operation, body, self._app_of_token)
            )
        )
        request = call.request
        if refuse:
            call.refused("SERVICE_UNAVAILABLE")
            refusal = {
                "commonOut": {
                    "requestId": request.request_id,
                    "resultCode": RESULT_CODES["SERVICE_UNAVAILABLE"],
                    "errMsg": "injected by the conformance kit: service unavailable, retry",
                }
            }
            return 200, json.dumps(refusal).encode("utf-8")
        try:
            answer = self.upstream.post(path, content=raw, headers={"Content-Type": "application/json"})
        except httpx.HTTPError as exc:
            call.status = f"UPSTREAM_{type(exc).__name__}"
            return 502, json.dumps({"detail": "the kit's node did not answer"}).encode("utf-8")
        try:
            out = answer.json()
            code = out["commonOut"]["resultCode"]
            call.status = _RESULT_NAMES.get(code, f"RESULT_{code}")
            call.detail = _text(out["commonOut"].get("errMsg"))[:200]
        except (ValueError, KeyError, TypeError):
            out, call.status = None, f"HTTP_{answer.status_code}"
        if operation == "getAppToken" and call.status == "OK" and isinstance(out, dict):
            token = _text((out.get("rsp") or {}).get("appToken"))
            with self._lock:
                self._app_of_token[token] = request.app_id
        if drop:
            call.reply_dropped("REPLY_LOST")
            return 0, None
        return answer.status_code, answer.content

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.upstream.close()


def _handler(proxy: EnvelopeProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length > 0 else b""
            status, body = proxy.handle(self.path, raw)
            if body is None:  # the reply is lost: the HIS sees the connection close
                self.close_connection = True
                return
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            return

    return Handler


__all__ = ["EnvelopeProxy", "EnvelopeRequest", "ProxyCall", "NODE_METHOD", "translate"]
