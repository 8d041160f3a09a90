"""The node's Sichuan (Mianyang) front door: JSON with an AES ``bizContent`` and an MD5 ``digest``.

A thin adapter: ``POST /sichuan/gateway`` checks the envelope (fields, app, digest over the
encrypted ``bizContent``, time window, replay), decrypts ``bizContent``, checks every business
field, then calls the SAME service function the gRPC and REST doors call and answers a signed
envelope whose ``bizContent`` is encrypted with the app's key. Every refusal has its own ``code``;
nothing is written before every check has passed.

Identity: ``appId`` is a terminal registered with the node; its MD5Key and AES key are derived from
that terminal's credential secret (``sichuan_envelope.md5_key`` / ``aes_key``).
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ehc.errors import EhcError
from ehc.spec.identifiers import ID_LOWERCASE_X
from reference_node.auth import Authenticator
from reference_node.node import Caller, Node
from reference_node.observability import log
from reference_node.platforms import loads_json, over_rate, refusal_result
from reference_node.proto.ehc.node.v1 import common_pb2 as c
from reference_node.proto.ehc.node.v1 import issuance_pb2, usage_pb2, verification_pb2
from reference_node.services import issuance, usage, verification

from .sichuan_envelope import (
    AES_MODE_ENV,
    AES_MODES,
    DEFAULT_AES_MODE,
    DIGEST_TYPE,
    ENVELOPE_FIELDS,
    PATH,
    RESULT_CODES,
    VERSION,
    aes_key,
    decrypt_biz,
    digest,
    encrypt_biz,
    md5_key,
)
from .tencent import result_of

LOG = logging.getLogger("reference_node")
BEIJING = dt.timezone(dt.timedelta(hours=8))

# kit result name (tencent.result_of) -> Sichuan code name
_CODE_OF = {
    "CARD_UNKNOWN": "CARD_UNKNOWN", "CARD_SUSPENDED": "CARD_NOT_USABLE", "CARD_CANCELLED": "CARD_NOT_USABLE",
    "CODE_EXPIRED": "CODE_INVALID", "CODE_EXHAUSTED": "CODE_INVALID", "CODE_INVALID": "CODE_INVALID",
    "FIELD_MISSING": "FIELD_MISSING", "FIELD_TOO_LONG": "FIELD_TOO_LONG",
    "FIELD_BAD_FORMAT": "FIELD_BAD_FORMAT", "DOCUMENT_INVALID": "DOCUMENT_INVALID",
    "CONFLICT": "CONFLICT", "PERSON_UNKNOWN": "PERSON_UNKNOWN", "APP_FORBIDDEN": "FORBIDDEN",
    "IDENTITY_MISMATCH": "FORBIDDEN", "SERVICE_UNAVAILABLE": "UNAVAILABLE", "INTERNAL": "INTERNAL",
}  # fmt: skip

# bizContent fields per method: name -> (longest value, required); "ms" fields are epoch milliseconds
_REGISTER = {
    "registerNo": (32, True), "registerTime": (13, False), "applyType": (1, False), "idType": (2, False),
    "idNo": (32, True), "name": (50, True), "gender": (1, False), "birthday": (14, False),
    "cellphone": (20, False), "telephone": (20, False), "address": (200, False), "unit": (100, False),
}  # fmt: skip
BIZ_FIELDS: dict[str, dict[str, tuple[int, bool]]] = {
    "healthcard.register": _REGISTER,
    "healthcard.qrcode.get": {"ehealthCardId": (64, True), "codeType": (1, False)},
    "healthcard.qrcode.verify": {
        "qrCode": (256, True),
        "useCityCode": (6, True),
        "hospitalCode": (32, False),
        "hospitalName": (100, False),
        "channelCode": (4, True),
        "medStepCode": (6, True),
        "deptCode": (4, False),
        "terminalTime": (13, False),
    },  # fmt: skip
    "healthcard.usage.report": {
        "recordNo": (64, True),
        "ehealthCardId": (64, False),
        "qrCode": (256, False),
        "useTime": (13, True),
        "hospitalCode": (32, False),
        "hospitalName": (100, False),
        "useCityCode": (6, True),
        "scene": (7, True),
        "deptCode": (4, False),
        "cardType": (2, False),
        "channelCode": (4, True),
        "payType": (4, False),
    },  # fmt: skip
}
_MS_FIELDS = frozenset({"registerTime", "birthday", "terminalTime", "useTime"})


def lowercase_x(err: EhcError) -> bool:
    """The identifier rule "the X must be upper case", raised directly or as the cause of the
    node's NODE_DOCUMENT_INVALID."""
    return err.code == ID_LOWERCASE_X or err.detail.get("cause") == ID_LOWERCASE_X.name


class Refused(Exception):
    """A refusal: ``name`` is a RESULT_CODES key."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


@dataclass
class Call:
    caller: Caller
    method: str
    biz: dict[str, str]


class SichuanFrontDoor:
    """Answers one envelope (bytes in, dict out); the HTTP router is ``router()``."""

    def __init__(self, node: Node, auth: Authenticator, *, aes_mode: str | None = None) -> None:
        self.node = node
        self.auth = auth
        mode = (aes_mode or os.environ.get(AES_MODE_ENV) or DEFAULT_AES_MODE).upper()
        if mode not in AES_MODES:
            raise ValueError(f"{AES_MODE_ENV} must be one of {AES_MODES}")
        self.aes_mode = mode
        self.methods: dict[str, Callable[[Call], dict[str, Any]]] = {
            "healthcard.register": self.register,
            "healthcard.qrcode.get": self.get_qr_code,
            "healthcard.qrcode.verify": self.verify_qr_code,
            "healthcard.usage.report": self.report_usage,
        }

    # ------------------------------------------------------------------ envelope
    def handle(self, raw: bytes) -> dict[str, Any]:
        """Never raises: every failure is an answer with its ``code``."""
        method, app_id, secret = "", "", b""
        try:
            body = self._body(raw)
            method, app_id = body["method"], body["appId"]
            caller, secret = self._authenticate(body)
            handler = self.methods.get(method)
            if handler is None:
                raise Refused("METHOD_UNKNOWN", "no such method")
            try:
                content = decrypt_biz(aes_key(secret), body["bizContent"], self.aes_mode)
            except ValueError as err:
                raise Refused("DECRYPT_FAILED", str(err)) from None
            rsp = handler(Call(caller, method, self._biz(method, content)))
            return self._out(method, app_id, secret, "OK", "success", rsp)
        except Refused as err:
            return self._out(method, app_id, secret, err.name, err.message)
        except EhcError as err:
            name = "ID_LOWERCASE_X" if lowercase_x(err) else _CODE_OF.get(result_of(err), "REFUSED")
            return self._out(method, app_id, secret, name, f"{err.code.name}: {err.message}")
        except Exception as exc:  # noqa: BLE001 - never a stack trace to the caller
            ref = self.node.new_id()[:12]
            log(LOG, logging.ERROR, "sichuan front door internal error", ref=ref, error=type(exc).__name__)
            return self._out(method, app_id, secret, "INTERNAL", f"internal error, reference {ref}")

    def _out(
        self, method: str, app_id: str, secret: bytes, name: str, message: str, rsp: dict | None = None
    ) -> dict[str, Any]:
        """The answer, signed with the app's MD5Key once the app is known (unsigned before)."""
        self.node.metrics.inc(
            "ehc_node_platform_requests_total", platform="sichuan", result=RESULT_CODES[name]
        )
        out: dict[str, Any] = {
            "code": RESULT_CODES[name],
            "message": message,
            "method": method,
            "appId": app_id,
            "version": VERSION,
            "timestamp": str(int(time.time() * 1000)),
            "digestType": DIGEST_TYPE,
        }
        if rsp is not None:
            out["bizContent"] = encrypt_biz(aes_key(secret), rsp, self.aes_mode)
        out["digest"] = digest(out, md5_key(secret)) if secret else ""
        return out

    @staticmethod
    def _body(raw: bytes) -> dict[str, str]:
        try:
            body = loads_json(raw)
        except ValueError as exc:
            raise Refused("MALFORMED", str(exc)) from None
        if not isinstance(body, dict):
            raise Refused("MALFORMED", "body is not a JSON object")
        out: dict[str, str] = {}
        for name, value in body.items():
            if name not in ENVELOPE_FIELDS:
                raise Refused("FIELD_BAD_FORMAT", f"the envelope has no field {name[:40]!r}")
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise Refused("FIELD_BAD_FORMAT", f"{name} must be a string")
            out[name] = str(value)
        for name, limit in ENVELOPE_FIELDS.items():
            value = out.get(name, "")
            if not value:
                raise Refused("FIELD_MISSING", f"{name} is required")
            if len(value) > limit:
                raise Refused("FIELD_TOO_LONG", f"{name} is longer than {limit} characters")
        if not out["timestamp"].isascii() or not out["timestamp"].isdigit():
            raise Refused("FIELD_BAD_FORMAT", "timestamp must be Unix milliseconds")
        if out["version"] != VERSION or out["digestType"] != DIGEST_TYPE:
            raise Refused("UNSUPPORTED", f"version must be {VERSION} and digestType {DIGEST_TYPE}")
        return out

    def _authenticate(self, body: dict[str, str]) -> tuple[Caller, bytes]:
        """App, digest (over the encrypted bizContent: nothing is decrypted for an unsigned call),
        time window, then replay (a repeated digest within the window)."""
        cred = self.auth.credential(body["appId"])
        if cred is None:
            raise Refused("APP_UNKNOWN", "appId is not registered with this node")
        secret, caller, refusal = cred
        expected = digest(body, md5_key(secret))
        if not hmac.compare_digest(body["digest"].encode("utf-8", "replace"), expected.encode("ascii")):
            raise Refused("DIGEST_MISMATCH", "digest does not verify (see docs/platforms.md for the input)")
        if refusal is not None:  # the node's own rule (revoked; 检测备案), as on every other door
            raise Refused(*refusal_result(refusal))
        now = time.time()
        window = self.node.config.replay_window_s
        if abs(now - int(body["timestamp"]) / 1000) > window:
            raise Refused(
                "TIMESTAMP_OUT_OF_WINDOW", f"timestamp is more than {window} s from the node's clock"
            )
        sent = int(body["timestamp"]) / 1000
        if not self.auth.fresh_nonce(f"sichuan|{caller.terminal_id}|{expected}", now, sent):
            raise Refused("REPLAYED", "this envelope was already received within the window")
        if over_rate(self.auth, caller, caller.terminal_id):
            raise Refused("UNAVAILABLE", "over the app's call rate; retry shortly")
        return caller, bytes(secret)

    @staticmethod
    def _biz(method: str, content: dict[str, Any]) -> dict[str, str]:
        spec = BIZ_FIELDS[method]
        for name in content:
            if name not in spec:
                raise Refused("FIELD_BAD_FORMAT", f"bizContent has no field {name[:40]!r}")
        out: dict[str, str] = {}
        for name, (limit, required) in spec.items():
            value = content.get(name)
            if value is None or value == "":
                if required:
                    raise Refused("FIELD_MISSING", f"bizContent.{name} is required")
                continue
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise Refused("FIELD_BAD_FORMAT", f"bizContent.{name} must be a string")
            text = str(value)
            if len(text) > limit:
                raise Refused("FIELD_TOO_LONG", f"bizContent.{name} is longer than {limit} characters")
            if name in _MS_FIELDS and not (text.isascii() and text.lstrip("-").isdigit()):
                raise Refused("FIELD_BAD_FORMAT", f"bizContent.{name} must be Unix milliseconds")
            out[name] = text
        return out

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _ms(value: str, fmt: str) -> str:
        """Epoch milliseconds -> Beijing local time in ``fmt`` ('' stays '')."""
        if not value:
            return ""
        try:
            return dt.datetime.fromtimestamp(int(value) / 1000, BEIJING).strftime(fmt)
        except (ValueError, OverflowError, OSError):
            raise Refused("FIELD_BAD_FORMAT", "a millisecond time is out of range") from None

    def _poc_ctx(self, call: Call, time_field: str) -> c.TerminalContext:
        b = call.biz
        if b.get("hospitalCode") and b["hospitalCode"] != call.caller.org_code:
            raise Refused("FORBIDDEN", "hospitalCode is not the app's organisation")
        return c.TerminalContext(
            terminal_id=call.caller.terminal_id,
            org_code=call.caller.org_code,
            org_name=b.get("hospitalName", ""),
            use_city=b.get("useCityCode", ""),
            channel=b.get("channelCode", ""),
            medical_step=b.get("medStepCode", ""),
            department=b.get("deptCode", ""),
            time=self._ms(b.get(time_field, ""), "%Y%m%d%H%M%S"),
        )

    # ------------------------------------------------------------------ methods
    def register(self, call: Call) -> dict[str, Any]:
        b = call.biz
        apply_type = b.get("applyType", "1")
        if apply_type not in ("1", "2", "3", "4"):
            raise Refused("FIELD_BAD_FORMAT", "applyType must be 1 app, 2 kiosk, 3 window or 4 batch")
        doc_type = b.get("idType", "01")
        number = b["idNo"]
        done = issuance.register(
            self.node,
            call.caller,
            issuance_pb2.RegisterRequest(
                application_mode=apply_type,
                name=b["name"],
                document_type=doc_type,
                document_number=number,
                area_code=(number[:6] if doc_type == "01" else "") or call.caller.area_code,
                sex=b.get("gender", ""),
                birth_date=self._ms(b.get("birthday", ""), "%Y-%m-%d"),
                phone=b.get("cellphone") or b.get("telephone", ""),
                address=b.get("address", ""),
                request_id=b["registerNo"],
                context=c.TerminalContext(terminal_id=call.caller.terminal_id, org_code=call.caller.org_code),
            ),
        )
        return {
            "ehealthCardId": done.card.ehcid,
            "mindexId": done.person.main_index,
            "healthCardNo": done.qr_text,
            "xmanId": done.person.main_index,
        }

    def get_qr_code(self, call: Call) -> dict[str, Any]:
        from base64 import b64encode

        from qr_codec.image import render_png

        kind = call.biz.get("codeType", "0")
        if kind not in ("0", "1"):
            raise Refused("FIELD_BAD_FORMAT", "codeType must be 0 (dynamic) or 1 (static)")
        code = issuance.get_qr_code(
            self.node,
            call.caller,
            issuance_pb2.GetQrCodeRequest(
                ehcid=call.biz["ehealthCardId"],
                code_type=c.CODE_TYPE_STATIC if kind == "1" else c.CODE_TYPE_DYNAMIC,
                context=c.TerminalContext(terminal_id=call.caller.terminal_id, org_code=call.caller.org_code),
            ),
        )
        return {
            "qrCode": code.qr_text,
            "qrCodeImg": b64encode(render_png(code.qr_text)).decode("ascii"),
            "codeType": kind,
            "validUntil": code.valid_until,
            "ehealthCardId": code.ehcid,
        }

    def verify_qr_code(self, call: Call) -> dict[str, Any]:
        result = verification.verify_qr(
            self.node,
            call.caller,
            verification_pb2.VerifyQrRequest(
                qr_text=call.biz["qrCode"], context=self._poc_ctx(call, "terminalTime")
            ),
        )
        p = result.person
        return {
            "ehealthCardId": result.card.ehcid,
            "mindexId": p.main_index,
            "name": p.name,
            "gender": p.sex,
            "nation": p.nation,
            "birthday": p.birth_date,
            "idType": p.document_type,
            "idNo": p.document_number,
            "cellphone": p.phone,
            "address": p.address,
            "cardStatus": c.CardStatus.Name(result.card.status),
            "temporary": result.flags.temporary,
        }

    def report_usage(self, call: Call) -> dict[str, Any]:
        b = call.biz
        ehcid = b.get("ehealthCardId") or b.get("qrCode", "").split(":", 1)[0]
        if not ehcid:
            raise Refused("FIELD_MISSING", "bizContent.ehealthCardId or qrCode is required")
        ctx = self._poc_ctx(call, "useTime")
        scene = b["scene"]
        ack = usage.report(
            self.node,
            call.caller,
            usage_pb2.UsageRecord(
                request_id=b["recordNo"],
                time=ctx.time,
                org_code=call.caller.org_code,
                org_name=ctx.org_name,
                use_city=ctx.use_city,
                scene=scene,
                medical_step=scene[:6],
                department=ctx.department,
                card_type=b.get("cardType", "11"),
                channel=ctx.channel,
                payment_category=b.get("payType", ""),
                visit_type="O",
                ehcid=ehcid,
                terminal_id=call.caller.terminal_id,
            ),
        )
        return {"usageId": ack.usage_id, "accepted": ack.accepted, "duplicate": ack.duplicate}

    # ------------------------------------------------------------------ HTTP
    def router(self) -> APIRouter:
        router = APIRouter(tags=["Sichuan (Mianyang) envelope"])

        @router.post(PATH, summary="Sichuan envelope: method + AES bizContent + MD5 digest")
        async def gateway(request: Request) -> JSONResponse:
            raw = await request.body()
            return JSONResponse(await run_in_threadpool(self.handle, raw))

        return router


__all__ = ["SichuanFrontDoor", "BIZ_FIELDS", "Refused"]
